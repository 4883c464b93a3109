import { z } from 'zod';
import { BaselineMethodSchema, GridEventBodySchema, parseInput } from '@wattbroker/contracts';
import { complianceCsv } from '@wattbroker/core';
import { stampOf } from '../audit-stamp.js';
import { PageQueryShape, pageOf, setNextCursor } from '../paging.js';
import { idParam, noQuery } from '../params.js';
import { notFound } from '../problem.js';
import { gridView } from '../views.js';
import type { RouteContext } from './context.js';

export const ReportQuerySchema = z.strictObject({ baseline: BaselineMethodSchema.default('mean-60m') });

/** `GET /v1/grid/events` query: `when` filters before the page; pages follow start time. */
export const GridEventListQuerySchema = z.strictObject({
  ...PageQueryShape,
  when: z.enum(['upcoming', 'active', 'past']).optional(),
});

/** Sorts as start time, then id (start times are ms since 1970, zero-padded to sort as text). */
const eventKey = (e: { startsAt: number; id: string }) => `${String(e.startsAt).padStart(16, '0')}:${e.id}`;

export function gridEventRoutes({ r, s, view, operator }: RouteContext): void {
  r.post('/v1/grid/events', operator, async (req, res) => {
    noQuery(req);
    const e = await s.grid.add(parseInput(GridEventBodySchema, req.body, 'body'), 'rest', stampOf(req, res));
    res.status(201).location(`/v1/grid/events/${e.id}`).json(gridView(e));
  });
  r.get('/v1/grid/events', view, async (req, res) => {
    const q = parseInput(GridEventListQuerySchema, req.query, 'query');
    const now = s.read.now();
    const when = (e: { startsAt: number; endsAt: number }) => (e.endsAt <= now ? 'past' : e.startsAt <= now ? 'active' : 'upcoming');
    const all = (await s.grid.list()).filter((e) => !q.when || when(e) === q.when);
    const { page, next } = pageOf(all, eventKey, q);
    setNextCursor(res, req.originalUrl, next);
    res.json(page.map(gridView));
  });
  r.delete('/v1/grid/events/:id', operator, async (req, res) => {
    noQuery(req);
    if (!(await s.grid.remove(idParam(req), stampOf(req, res)))) throw notFound('id', `grid event "${req.params.id}"`);
    res.status(204).end();
  });
  r.get('/v1/grid/events/:id/report', view, async (req, res) => {
    const q = parseInput(ReportQuerySchema, req.query, 'query');
    const report = await s.grid.report(idParam(req), q.baseline);
    if (!report) throw notFound('id', `grid event "${req.params.id}"`);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.type('text/csv').attachment(`${report.eventId}.csv`).send(complianceCsv(report));
    } else res.json(report);
  });
}

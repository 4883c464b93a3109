import { z } from 'zod';
import { BaselineMethodSchema, GridEventBodySchema, parseInput } from '@wattbroker/contracts';
import { complianceCsv } from '@wattbroker/core';
import { stampOf } from '../audit-stamp.js';
import { idParam, noQuery } from '../params.js';
import { notFound } from '../problem.js';
import { gridView } from '../views.js';
import type { RouteContext } from './context.js';

const ReportQuerySchema = z.strictObject({ baseline: BaselineMethodSchema.default('mean-60m') });

export function gridEventRoutes({ r, s, view, operator }: RouteContext): void {
  r.post('/v1/grid/events', operator, async (req, res) => {
    noQuery(req);
    const e = await s.grid.add(parseInput(GridEventBodySchema, req.body, 'body'), 'rest', stampOf(req, res));
    res.status(201).location(`/v1/grid/events/${e.id}`).json(gridView(e));
  });
  r.get('/v1/grid/events', view, async (req, res) => {
    noQuery(req);
    res.json((await s.grid.list()).map(gridView));
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

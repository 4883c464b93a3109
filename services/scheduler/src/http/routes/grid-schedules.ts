import { z } from 'zod';
import { GridScheduleBodySchema, parseInput } from '@wattbroker/contracts';
import { stampOf } from '../audit-stamp.js';
import { PageQueryShape, pageOf, setNextCursor } from '../paging.js';
import { idParam, noQuery } from '../params.js';
import { badField, notFound } from '../problem.js';
import type { RouteContext } from './context.js';

export const GridScheduleListQuerySchema = z.strictObject(PageQueryShape);

export function gridScheduleRoutes({ r, s, view, operator }: RouteContext): void {
  r.get('/v1/grid/schedules', view, async (req, res) => {
    const q = parseInput(GridScheduleListQuerySchema, req.query, 'query');
    const { page, next } = pageOf(await s.schedules.list(), (x) => x.name, q);
    setNextCursor(res, req.originalUrl, next);
    res.json(page);
  });
  r.post('/v1/grid/schedules', operator, async (req, res) => {
    noQuery(req);
    const body = parseInput(GridScheduleBodySchema, req.body, 'body');
    try {
      await s.schedules.upsert(body, stampOf(req, res));
    } catch (e) {
      if (e instanceof RangeError) {
        const field = e.message.split(':')[0]!;
        throw badField(field, e.message.slice(field.length + 2));
      }
      throw e;
    }
    res.status(201).location(`/v1/grid/schedules/${body.name}`).json((await s.schedules.list()).find((x) => x.name === body.name));
  });
  r.delete('/v1/grid/schedules/:name', operator, async (req, res) => {
    noQuery(req);
    if (!(await s.schedules.remove(idParam(req, 'name'), stampOf(req, res)))) throw notFound('name', `grid schedule "${req.params.name}"`);
    res.status(204).end();
  });
}

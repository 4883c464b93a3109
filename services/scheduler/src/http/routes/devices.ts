import { z } from 'zod';
import { DevicePatchSchema, DeviceStatusSchema, IdSchema, parseInput } from '@wattbroker/contracts';
import { stampOf } from '../audit-stamp.js';
import { PageQueryShape, pageOf, setNextCursor } from '../paging.js';
import { idParam, noQuery } from '../params.js';
import { notFound } from '../problem.js';
import { devicesFor } from '../visibility.js';
import type { RouteContext } from './context.js';

/** `GET /v1/devices` query: filters first, then the page (sorted by id when paged). */
export const DeviceListQuerySchema = z.strictObject({
  ...PageQueryShape,
  kind: z.enum(['asic', 'gpu']).optional(),
  hostId: IdSchema.optional(),
  status: DeviceStatusSchema.optional(),
});

export function deviceRoutes({ r, s, view, operator }: RouteContext): void {
  r.get('/v1/devices', view, (req, res) => {
    const q = parseInput(DeviceListQuerySchema, req.query, 'query');
    const all = s.read.devices().filter((d) => (!q.kind || d.kind === q.kind) && (!q.hostId || d.hostId === q.hostId) && (!q.status || d.status === q.status));
    const { page, next } = pageOf(all, (d) => d.id, q);
    setNextCursor(res, req.originalUrl, next);
    res.json(devicesFor(res, page, s.read.jobOwner));
  });
  r.get('/v1/devices/:id', view, (req, res) => {
    noQuery(req);
    const d = s.read.devices(idParam(req))[0];
    if (!d) throw notFound('id', `device "${req.params.id}"`);
    res.json(devicesFor(res, [d], s.read.jobOwner)[0]);
  });
  r.patch('/v1/devices/:id', operator, async (req, res) => {
    noQuery(req);
    const id = idParam(req);
    if (!s.read.devices(id).length) throw notFound('id', `device "${id}"`);
    const override = await s.settings.patchDevice(id, parseInput(DevicePatchSchema, req.body, 'body'), stampOf(req, res));
    res.json({ ...s.read.devices(id)[0], override });
  });
}

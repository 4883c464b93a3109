import { DevicePatchSchema, parseInput } from '@wattbroker/contracts';
import { stampOf } from '../audit-stamp.js';
import { idParam, noQuery } from '../params.js';
import { notFound } from '../problem.js';
import type { RouteContext } from './context.js';

export function deviceRoutes({ r, s, view, operator }: RouteContext): void {
  r.get('/v1/devices', view, (req, res) => {
    noQuery(req);
    res.json(s.read.devices());
  });
  r.get('/v1/devices/:id', view, (req, res) => {
    noQuery(req);
    const d = s.read.devices(idParam(req))[0];
    if (!d) throw notFound('id', `device "${req.params.id}"`);
    res.json(d);
  });
  r.patch('/v1/devices/:id', operator, async (req, res) => {
    noQuery(req);
    const id = idParam(req);
    if (!s.read.devices(id).length) throw notFound('id', `device "${id}"`);
    const override = await s.settings.patchDevice(id, parseInput(DevicePatchSchema, req.body, 'body'), stampOf(req, res));
    res.json({ ...s.read.devices(id)[0], override });
  });
}

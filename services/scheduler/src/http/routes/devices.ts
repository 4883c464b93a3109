import { DevicePatchSchema, parseInput } from '@wattbroker/contracts';
import { notFound } from '../problem.js';
import type { RouteContext } from './context.js';

export function deviceRoutes({ r, s, view, operator }: RouteContext): void {
  r.get('/v1/devices', view, (_req, res) => void res.json(s.read.devices()));
  r.get('/v1/devices/:id', view, (req, res) => {
    const d = s.read.devices(req.params.id as string)[0];
    if (!d) throw notFound('id', `device "${req.params.id}"`);
    res.json(d);
  });
  r.patch('/v1/devices/:id', operator, async (req, res) => {
    const id = req.params.id as string;
    if (!s.read.devices(id).length) throw notFound('id', `device "${id}"`);
    const override = await s.settings.patchDevice(id, parseInput(DevicePatchSchema, req.body, 'body'));
    res.json({ ...s.read.devices(id)[0], override });
  });
}

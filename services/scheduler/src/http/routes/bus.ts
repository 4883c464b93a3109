import type { RouteContext } from './context.js';

/** What the agents' bus refused (messages claiming another host, failing their schema, forged epochs): a non-zero count means a host misbehaves. */
export function busRoutes({ r, s, view }: RouteContext): void {
  r.get('/v1/bus', view, (_req, res) => void res.json(s.read.bus()));
}

import { noQuery } from '../params.js';
import type { RouteContext } from './context.js';

/** Liveness (no auth) and readiness: 200 only while Redis answers and this process leads. */
export function healthRoutes({ r, s }: RouteContext): void {
  r.get('/healthz', (req, res) => {
    noQuery(req);
    res.json({ ok: true });
  });
  r.get('/readyz', async (req, res) => {
    noQuery(req);
    const x = await s.readiness();
    res.status(x.ready ? 200 : 503).json(x);
  });
}

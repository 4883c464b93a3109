import type { RouteContext } from './context.js';

/** Liveness (no auth) and readiness: 200 only while Redis answers and this process leads. */
export function healthRoutes({ r, s }: RouteContext): void {
  r.get('/healthz', (_req, res) => void res.json({ ok: true }));
  r.get('/readyz', async (_req, res) => {
    const x = await s.readiness();
    res.status(x.ready ? 200 : 503).json(x);
  });
}

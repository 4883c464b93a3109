import { KpisQuerySchema, parseInput } from '@wattbroker/contracts';
import { Kpis } from '../../use-cases/kpis.js';
import type { RouteContext } from './context.js';

/** `GET /v1/kpis?window=1h` (viewer): the backtest's KPIs, live, over the last window of recorded samples. */
export function kpiRoutes({ r, s, view }: RouteContext): void {
  // "Now" on the scheduler's own clock (a test's virtual one too): the time of a site sample.
  const kpis = new Kpis({ store: s.store, controller: s.controller, now: () => s.read.sample().at });
  r.get('/v1/kpis', view, async (req, res) => {
    const q = parseInput(KpisQuerySchema, req.query, 'query');
    res.json(await kpis.over(q.window));
  });
}

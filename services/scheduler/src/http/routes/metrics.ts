import { schedulerMetrics } from '../../metrics/scheduler-metrics.js';
import type { RouteContext } from './context.js';

/**
 * `GET /metrics`: Prometheus text format. It needs a token like the rest of the API (any role;
 * Prometheus sends a viewer token with `authorization: { credentials: … }`, see
 * infra/prometheus/prometheus.yml). Outside `/v1`, so a standby answers too (with
 * `wattbroker_leader 0`): the alert for a standby without a leader needs both.
 */
export function metricsRoutes({ r, s, view }: RouteContext): void {
  const metrics = schedulerMetrics(s);
  r.get('/metrics', view, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.scrape());
  });
}

import express, { Router, type Express, type Request } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { Scheduler } from '../app.js';
import { requireRole, type Role } from './auth.js';
import { HttpProblem, problemHandler } from './problem.js';
import { standbyGuard } from './standby.js';
import { deviceRoutes } from './routes/devices.js';
import { gridEventRoutes } from './routes/grid-events.js';
import { gridScheduleRoutes } from './routes/grid-schedules.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { kpiRoutes } from './routes/kpis.js';
import { openApiRoutes } from './routes/openapi.js';
import { settingsRoutes } from './routes/settings.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { metricsRoutes } from './routes/metrics.js';
import { streamRoutes } from './routes/stream.js';
import { siteRoutes } from './routes/site.js';
import { busRoutes } from './routes/bus.js';

/** Version of the REST API as its OpenAPI document states it. */
export const API_VERSION = '1.0.0';

/**
 * The REST API (README documents it): routes one file per resource, each calling the
 * scheduler's use cases and read models. Every error is RFC 9457 problem+json.
 */
export function createApi(s: Scheduler, tokens: Map<string, Role>, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({ logger, redact: ['req.headers.authorization'], autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' } }));
  // Priority lists may name a hosting client's thousands of miners; every other body is small.
  app.use('/v1/priorities', express.json({ limit: '4mb' }));
  app.use(express.json({ limit: '64kb' }));
  // The API's own description answers before the standby guard: a standby describes it too.
  const meta = Router();
  openApiRoutes(meta, API_VERSION);
  app.use(meta);
  app.use('/v1', standbyGuard(s));
  const r = Router();
  const ctx = { r, s, view: requireRole(tokens, 'viewer'), tenant: requireRole(tokens, 'tenant'), operator: requireRole(tokens, 'operator') };
  for (const routes of [healthRoutes, siteRoutes, deviceRoutes, jobRoutes, gridEventRoutes, gridScheduleRoutes, settingsRoutes, kpiRoutes, busRoutes, streamRoutes, metricsRoutes, dashboardRoutes]) routes(ctx);
  app.use(r);
  app.use((req: Request) => {
    throw new HttpProblem(404, 'Not found', `${req.method} ${req.path}: no such endpoint`);
  });
  app.use(problemHandler);
  return app;
}

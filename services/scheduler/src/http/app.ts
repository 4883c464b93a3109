import { randomUUID } from 'node:crypto';
import express, { Router, type Express, type Request } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import type { ApiToken } from '@wattbroker/contracts';
import type { Scheduler } from '../app.js';
import { authenticate, requireRole } from './auth.js';
import { HttpProblem, problemHandler } from './problem.js';
import { authFailureLimiter, jobSubmissionLimiter, type RateLimits } from './rate-limits.js';
import { standbyGuard } from './standby.js';
import { auditRoutes } from './routes/audit.js';
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

export interface ApiOptions {
  readonly rateLimits?: RateLimits;
}

/**
 * The REST API (README documents it): routes one file per resource, each calling the
 * scheduler's use cases and read models. Every error is RFC 9457 problem+json.
 *
 * Order matters: every `/v1` request is authenticated (and failed attempts rate-limited)
 * before its body is read, so an unknown client cannot make the scheduler buffer or parse
 * anything; only then the standby guard, the body parsers and the routes.
 */
export function createApi(s: Scheduler, tokens: readonly ApiToken[], logger: Logger, opts: ApiOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({
    logger,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    // A request id per request, answered in X-Request-Id and kept in the audit trail.
    genReqId: (_req, res) => {
      const id = randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // The access log names who asked (the token's name and role, never the token).
    customProps: (_req, res) => {
      const actor = (res as unknown as { locals?: { actor?: { name: string; role: string } } }).locals?.actor;
      return actor ? { actor: actor.name, role: actor.role } : {};
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
  }));
  // The API's own description answers before authentication and the standby guard: anyone,
  // and a standby too, may read it.
  const meta = Router();
  openApiRoutes(meta, API_VERSION);
  app.use(meta);
  const failures = authFailureLimiter(opts.rateLimits);
  app.use('/v1', authenticate(tokens, failures), standbyGuard(s));
  // Prometheus scrapes with a token too (a standby answers: it is outside /v1).
  app.use('/metrics', authenticate(tokens, failures));
  // Priority lists may name a hosting client's thousands of miners; every other body is small.
  app.use('/v1/priorities', express.json({ limit: '4mb' }));
  // Bodies are read under /v1 only, after authentication: nothing else takes one.
  app.use('/v1', express.json({ limit: '64kb' }));
  const r = Router();
  const ctx = {
    r, s, view: requireRole('viewer'), tenant: requireRole('tenant'), operator: requireRole('operator'),
    jobLimit: jobSubmissionLimiter(opts.rateLimits),
  };
  for (const routes of [healthRoutes, siteRoutes, deviceRoutes, jobRoutes, gridEventRoutes, gridScheduleRoutes, settingsRoutes, auditRoutes, kpiRoutes, busRoutes, streamRoutes, metricsRoutes, dashboardRoutes]) routes(ctx);
  app.use(r);
  app.use((req: Request) => {
    throw new HttpProblem(404, 'Not found', `${req.method} ${req.path}: no such endpoint`);
  });
  app.use(problemHandler);
  return app;
}

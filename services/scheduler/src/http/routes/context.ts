import type { RequestHandler, Router } from 'express';
import type { Scheduler } from '../../app.js';

/** What a route module gets: the router, the scheduler's use cases and read models, the role guards and the job limiter. */
export interface RouteContext {
  readonly r: Router;
  readonly s: Scheduler;
  readonly view: RequestHandler;
  readonly tenant: RequestHandler;
  readonly operator: RequestHandler;
  /** Job submissions per tenant (rate limit). */
  readonly jobLimit: RequestHandler;
}

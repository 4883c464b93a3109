import type { Request, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { actorOf } from './auth.js';
import { HttpProblem, sendProblem } from './problem.js';

/** Requests allowed per client per window. */
export interface RateLimits {
  /** Failed authentications (401) per client address; over it, every request from there gets 429 until the window ends. @defaultValue 30 */
  readonly authFailures?: number;
  /** Job submissions per token name. @defaultValue 600 */
  readonly jobSubmissions?: number;
  /** @defaultValue 60000 */
  readonly windowMs?: number;
}

function tooMany(what: string) {
  return (req: Request, res: Response, _next: unknown, options: { windowMs: number }): void => {
    res.set('Retry-After', String(Math.ceil(options.windowMs / 1000)));
    sendProblem(res, req, new HttpProblem(429, 'Too many requests', `${what}: too many from this client; retry after the window (${Math.ceil(options.windowMs / 1000)} s)`));
  };
}

/**
 * Counts only the requests that fail authentication (a 401), per client address: a guesser
 * is slowed to a handful of tries a minute; clients with a valid token are not counted.
 * Mounted before authentication, so that a blocked client costs no hashing either.
 */
export function authFailureLimiter(l: RateLimits = {}) {
  return rateLimit({
    windowMs: l.windowMs ?? 60_000, limit: l.authFailures ?? 30, standardHeaders: 'draft-8', legacyHeaders: false,
    skipSuccessfulRequests: true, requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    handler: tooMany('Authorization'),
  });
}

/** Job submissions per tenant (the token's name), after authentication. */
export function jobSubmissionLimiter(l: RateLimits = {}) {
  return rateLimit({
    windowMs: l.windowMs ?? 60_000, limit: l.jobSubmissions ?? 600, standardHeaders: 'draft-8', legacyHeaders: false,
    keyGenerator: (_req, res) => `actor:${actorOf(res).name}`,
    handler: tooMany('jobs'),
  });
}

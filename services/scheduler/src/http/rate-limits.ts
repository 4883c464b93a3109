import type { Request, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { actorOf } from './auth.js';
import { HttpProblem, sendProblem } from './problem.js';

/** Requests allowed per client per window. */
export interface RateLimits {
  /** Failed authentications (401) per client address; over it, the refusals are 429 until the window ends. @defaultValue 30 */
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
 * Failed authentications (401) per client address: authentication calls it for a request it
 * refuses, so only failures count (a long-lived stream or an aborted request of a valid
 * token never does); past the limit the refusal is a 429 instead of a 401 until the window
 * ends. A guesser gets a handful of tries a minute; clients with a valid token behind the
 * same address (a NAT, a proxy) are not locked out by it.
 */
export function authFailureLimiter(l: RateLimits = {}) {
  return rateLimit({
    windowMs: l.windowMs ?? 60_000, limit: l.authFailures ?? 30, standardHeaders: 'draft-8', legacyHeaders: false,
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

import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { MIN_TOKEN_LENGTH, hashToken, type ApiToken, type Role } from '@wattbroker/contracts';
import { HttpProblem } from './problem.js';

export { ROLES, parseTokenEntries as parseTokens, type Role } from '@wattbroker/contracts';

/** Who made a request: the name and role of the token it presented. */
export interface Actor {
  readonly name: string;
  readonly role: Role;
}

const rank: Record<Role, number> = { viewer: 0, tenant: 1, operator: 2 };

/** The actor that authenticate() put on the response (routes run only after it). */
export function actorOf(res: Response): Actor {
  const a = res.locals.actor as Actor | undefined;
  if (!a) throw new Error('route reached without authentication');
  return a;
}

/** Compare the presented token's hash with every configured one, in constant time per entry. */
function lookup(tokens: readonly ApiToken[], presented: string): Actor | undefined {
  if (presented.length < MIN_TOKEN_LENGTH || presented.length > 512) return undefined;
  const p = Buffer.from(hashToken(presented), 'hex');
  let found: Actor | undefined;
  for (const t of tokens) {
    if (timingSafeEqual(Buffer.from(t.sha256, 'hex'), p) && !found) found = { name: t.name, role: t.role };
  }
  return found;
}

/**
 * Authentication, mounted before any body parser: a request without a known token is
 * answered 401 before a byte of its body is read or parsed (an unauthenticated client cannot
 * make the scheduler parse megabytes of JSON). The actor goes on `res.locals` for the role
 * checks, the audit trail and the access log.
 */
export function authenticate(tokens: readonly ApiToken[], failures?: RequestHandler) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // A refusal goes through the failure limiter first, which answers 429 past its limit.
    const refuse = (problem: HttpProblem) => (failures ? void failures(req, res, () => next(problem)) : next(problem));
    const header = req.get('authorization') ?? '';
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m) return refuse(new HttpProblem(401, 'Unauthorized', 'Authorization: send "Bearer <token>"', { errors: [{ field: 'Authorization', message: 'send "Bearer <token>"' }] }));
    const actor = lookup(tokens, m[1]!);
    if (!actor) return refuse(new HttpProblem(401, 'Unauthorized', 'Authorization: unknown token', { errors: [{ field: 'Authorization', message: 'unknown token' }] }));
    res.locals.actor = actor;
    next();
  };
}

export function requireRole(needed: Role) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const actor = actorOf(res);
    if (rank[actor.role] < rank[needed]) return next(new HttpProblem(403, 'Forbidden', `Authorization: this needs the ${needed} role; the token has ${actor.role}`, { errors: [{ field: 'Authorization', message: `needs the ${needed} role` }] }));
    next();
  };
}

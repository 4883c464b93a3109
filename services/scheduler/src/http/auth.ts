import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpProblem } from './problem.js';

/**
 * API tokens with roles. `viewer` reads; `tenant` also submits and cancels GPU jobs;
 * `operator` may do everything (contract, grid events). Tokens come from configuration
 * (`WATTBROKER_API_TOKENS="operator:secret1,viewer:secret2"`), never from code, and are
 * never logged (pino redacts the Authorization header).
 */
export const ROLES = ['viewer', 'tenant', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export function parseTokens(spec: string): Map<string, Role> {
  const tokens = new Map<string, Role>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [role, token] = part.split(':', 2) as [string, string | undefined];
    if (!(ROLES as readonly string[]).includes(role) || !token || token.length < 8) {
      throw new Error(`API tokens: expected role:token with role one of ${ROLES.join(', ')} and a token of 8+ characters, got "${role}:…"`);
    }
    tokens.set(token, role as Role);
  }
  return tokens;
}

const rank: Record<Role, number> = { viewer: 0, tenant: 1, operator: 2 };

function lookup(tokens: Map<string, Role>, presented: string): Role | undefined {
  const p = Buffer.from(presented);
  for (const [token, role] of tokens) {
    const t = Buffer.from(token);
    if (t.length === p.length && timingSafeEqual(t, p)) return role;
  }
  return undefined;
}

export function requireRole(tokens: Map<string, Role>, needed: Role) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m) return next(new HttpProblem(401, 'Unauthorized', 'Authorization: send "Bearer <token>"'));
    const role = lookup(tokens, m[1]!.trim());
    if (!role) return next(new HttpProblem(401, 'Unauthorized', 'Authorization: unknown token'));
    if (rank[role] < rank[needed]) return next(new HttpProblem(403, 'Forbidden', `this needs the ${needed} role; the token has ${role}`));
    next();
  };
}

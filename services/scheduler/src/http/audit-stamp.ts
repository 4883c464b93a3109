import type { Request, Response } from 'express';
import type { AuditStamp } from '../audit.js';
import { actorOf } from './auth.js';

/** The audit stamp of a write request: its actor, route, request id and body. */
export function stampOf(req: Request, res: Response): AuditStamp {
  const actor = actorOf(res);
  return { actor: actor.name, role: actor.role, route: `${req.method} ${req.originalUrl.split('?')[0]}`, requestId: String(req.id ?? ''), body: req.body ?? null };
}

import type { NextFunction, Request, Response } from 'express';
import type { Scheduler } from '../app.js';
import { HttpProblem } from './problem.js';

/**
 * On a standby every `/v1` request answers 503 naming the leader, reads included: a standby
 * does not listen to agents, so its view would be stale, and a write it took would never
 * reach the leader. Clients retry against `leader.url` (also in `/readyz`).
 */
export function standbyGuard(s: Scheduler) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (s.isLeader) return next();
    const leader = await s.leader().catch(() => undefined);
    res.set('Retry-After', '1');
    next(new HttpProblem(503, 'Not the leader', leader?.apiUrl
      ? `this scheduler is a standby; the leader answers at ${leader.apiUrl}`
      : 'this scheduler is a standby and no leader holds the lease right now; retry shortly', {
      ...(leader ? { leader: { url: leader.apiUrl ?? null, epoch: leader.epoch, pid: leader.pid ?? null } } : {}),
    }));
  };
}

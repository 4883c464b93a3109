import type { Logger } from 'pino';
import { KEYS, JobRecordSchema } from '@wattbroker/contracts';
import type { Redis } from 'ioredis';
import type { Clock, Leadership } from '../ports.js';

/** Finished jobs and past grid events examined per pass (a pass stays short). */
const BATCH = 500;

/**
 * Finished jobs and past grid events are kept for a retention period (reports and `GET
 * /v1/jobs` read them), then pruned, so Redis does not grow without bound. Runs in the
 * leader, hourly; writes go through the fenced store.
 */
export async function pruneOld(d: {
  redis: Redis; write: (cmds: Array<Array<string | number>>) => Promise<void>; clock: Clock; leadership: Leadership; log: Logger; retentionMs: number;
}): Promise<{ jobs: number; events: number }> {
  if (!d.leadership.isLeading()) return { jobs: 0, events: 0 };
  const before = d.clock.now() - d.retentionMs;
  // Jobs are ordered by queue time: candidates are the oldest; a job still running is kept.
  const ids = await d.redis.zrangebyscore(KEYS.jobOrder, '-inf', `(${before}`, 'LIMIT', 0, BATCH);
  const cmds: Array<Array<string | number>> = [];
  if (ids.length) {
    const [raws, active] = await Promise.all([d.redis.hmget(KEYS.jobs, ...ids), d.redis.smismember(KEYS.activeJobs, ...ids)]);
    ids.forEach((id, i) => {
      if (active[i]) return;
      const job = JobRecordSchema.safeParse(raws[i] ? JSON.parse(raws[i]!) : null);
      const ended = job.success ? Math.max(...Object.values(job.data.timestamps)) : 0;
      if (!job.success || ended < before) cmds.push(['HDEL', KEYS.jobs, id], ['ZREM', KEYS.jobOrder, id]);
    });
  }
  const jobs = cmds.length / 2;
  for (const [id, raw] of Object.entries(await d.redis.hgetall(KEYS.gridEvents))) {
    try {
      if ((JSON.parse(raw) as { endsAt?: number }).endsAt! < before) cmds.push(['HDEL', KEYS.gridEvents, id]);
    } catch {
      cmds.push(['HDEL', KEYS.gridEvents, id]);
    }
  }
  const events = cmds.length - jobs * 2;
  await d.write(cmds);
  if (cmds.length) d.log.info({ jobs, events, retentionDays: d.retentionMs / 86_400_000 }, 'pruned finished jobs and past grid events');
  return { jobs, events };
}

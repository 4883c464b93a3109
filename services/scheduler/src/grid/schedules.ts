import { Queue, Worker } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BULL_PREFIX, GRID_SCHEDULE_QUEUE, GridScheduleBodySchema, KEYS, type AuditEntry, type GridScheduleBody } from '@wattbroker/contracts';
import { audited, type AuditStamp } from '../audit.js';

const KEY = KEYS.gridSchedules;

/**
 * Recurring grid windows as BullMQ job schedulers: every firing is one job with an id
 * derived from the scheduler and the firing time, so a window fires exactly once however
 * many scheduler processes run. Only the leader runs the worker (a standby could not write
 * the event: its store writes are fenced); a window due while no scheduler leads waits in
 * the queue and fires, with its own start time, when one does.
 */
export class GridSchedules {
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly workerRedis: () => Redis,
    private readonly write: (cmds: Array<Array<string | number>>, audit?: AuditEntry) => Promise<void>,
    private readonly fire: (schedule: GridScheduleBody, firedAt: number) => Promise<void>,
    private readonly log: Logger,
  ) {
    this.queue = new Queue(GRID_SCHEDULE_QUEUE, { connection: redis, prefix: BULL_PREFIX });
  }

  /** Take due windows (the leader). */
  startWorker(): void {
    if (this.worker) return;
    this.worker = new Worker(GRID_SCHEDULE_QUEUE, async (job) => {
      const name = (job.data as { name: string }).name;
      const schedule = parseSchedule(await this.redis.hget(KEY, name));
      if (!schedule) return; // deleted meanwhile (or unreadable)
      // When the window was due (a late pick-up keeps the window's own start).
      const firedAt = job.timestamp + (job.opts.delay ?? 0);
      this.log.info({ schedule: name, firedAt }, 'grid window fired');
      await this.fire(schedule, firedAt);
    }, { connection: (this.workerConnection = this.workerRedis()), prefix: BULL_PREFIX, concurrency: 1 });
    this.worker.on('error', (e) => this.log.error({ err: e.message }, 'grid schedule worker error'));
  }

  async stopWorker(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.close().catch(() => undefined);
    this.workerConnection?.disconnect();
    this.workerConnection = undefined;
  }

  /** Throws a RangeError naming `cron` or `tz` when the pattern or zone is not valid. */
  static nextFire(body: Pick<GridScheduleBody, 'cron' | 'tz'>, from = new Date()): Date {
    try {
      Intl.DateTimeFormat('en-US', { timeZone: body.tz });
    } catch {
      throw new RangeError(`tz: unknown time zone "${body.tz}"`);
    }
    try {
      return CronExpressionParser.parse(body.cron, { tz: body.tz, currentDate: from }).next().toDate();
    } catch (e) {
      throw new RangeError(`cron: ${(e as Error).message}`);
    }
  }

  async upsert(body: GridScheduleBody, stamp?: AuditStamp): Promise<void> {
    GridSchedules.nextFire(body);
    const before = stamp ? parseSchedule(await this.redis.hget(KEY, body.name)) : undefined;
    await this.write([['HSET', KEY, body.name, JSON.stringify(body)]], audited(stamp, before, body, Date.now()));
    await this.queue.upsertJobScheduler(body.name, { pattern: body.cron, tz: body.tz }, { name: 'window', data: { name: body.name } });
  }

  async list(): Promise<Array<GridScheduleBody & { nextFireAt: string }>> {
    const all = Object.values(await this.redis.hgetall(KEY)).map(parseSchedule).filter((x): x is GridScheduleBody => x !== undefined);
    return all.map((s) => ({ ...s, nextFireAt: GridSchedules.nextFire(s).toISOString() }));
  }

  async remove(name: string, stamp?: AuditStamp): Promise<boolean> {
    const before = parseSchedule(await this.redis.hget(KEY, name));
    const existed = (await this.redis.hexists(KEY, name)) === 1;
    if (existed) await this.write([['HDEL', KEY, name]], audited(stamp, before, null, Date.now()));
    await this.queue.removeJobScheduler(name);
    return existed;
  }

  async close(): Promise<void> {
    await this.stopWorker();
    await this.queue.close();
  }
}

/** A stored schedule, parsed with its schema (an unreadable one is skipped). */
function parseSchedule(raw: string | null): GridScheduleBody | undefined {
  if (raw === null) return undefined;
  try {
    const r = GridScheduleBodySchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

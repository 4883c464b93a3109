import { Queue, Worker } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BULL_PREFIX, GRID_SCHEDULE_QUEUE, GridScheduleBodySchema, KEYS, type GridScheduleBody } from '@wattbroker/contracts';

const KEY = KEYS.gridSchedules;

/**
 * Recurring grid windows as BullMQ job schedulers: every firing is one job with an id
 * derived from the scheduler and the firing time, so a window fires exactly once however
 * many scheduler processes run (all of them run a worker; one takes each job).
 */
export class GridSchedules {
  private readonly queue: Queue;
  private worker: Worker | undefined;

  constructor(
    private readonly redis: Redis,
    workerRedis: Redis,
    private readonly fire: (schedule: GridScheduleBody, firedAt: number) => Promise<void>,
    private readonly log: Logger,
  ) {
    this.queue = new Queue(GRID_SCHEDULE_QUEUE, { connection: redis, prefix: BULL_PREFIX });
    this.worker = new Worker(GRID_SCHEDULE_QUEUE, async (job) => {
      const name = (job.data as { name: string }).name;
      const schedule = parseSchedule(await this.redis.hget(KEY, name));
      if (!schedule) return; // deleted meanwhile (or unreadable)
      const firedAt = job.processedOn ?? Date.now();
      this.log.info({ schedule: name, firedAt }, 'grid window fired');
      await this.fire(schedule, firedAt);
    }, { connection: workerRedis, prefix: BULL_PREFIX, concurrency: 1 });
    this.worker.on('error', (e) => this.log.error({ err: e.message }, 'grid schedule worker error'));
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

  async upsert(body: GridScheduleBody): Promise<void> {
    GridSchedules.nextFire(body);
    await this.redis.hset(KEY, body.name, JSON.stringify(body));
    await this.queue.upsertJobScheduler(body.name, { pattern: body.cron, tz: body.tz }, { name: 'window', data: { name: body.name } });
  }

  async list(): Promise<Array<GridScheduleBody & { nextFireAt: string }>> {
    const all = Object.values(await this.redis.hgetall(KEY)).map(parseSchedule).filter((x): x is GridScheduleBody => x !== undefined);
    return all.map((s) => ({ ...s, nextFireAt: GridSchedules.nextFire(s).toISOString() }));
  }

  async remove(name: string): Promise<boolean> {
    const existed = (await this.redis.hdel(KEY, name)) === 1;
    await this.queue.removeJobScheduler(name);
    return existed;
  }

  async close(): Promise<void> {
    await this.worker?.close();
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

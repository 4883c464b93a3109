import { setImmediate } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { Logger } from 'pino';
import { rangeStream } from '@wattbroker/bus';
import {
  ContractRecordSchema, DeviceOverrideSchema, EnergyPriceRecordSchema, GridEventRecordSchema, JobRecordSchema, KEYS, PrioritiesRecordSchema,
  RegistrationSchema, SITE_SAMPLES_STREAM, SiteSampleSchema, fieldPath, AUDIT_KEPT, AuditEntrySchema,
  type AuditEntry, type AuditView, type ContractRecord, type DeviceOverride, type EnergyPriceRecord, type GridEventRecord, type JobRecord, type JobState, type PriorityClass,
  type Registration, type SiteSample,
} from '@wattbroker/contracts';
import type { SiteStore } from '../ports.js';

const TERMINAL = new Set<JobState>(['done', 'failed', 'cancelled']);

/**
 * Every write is fenced: it runs only if the epoch it carries is still the site's (another
 * leader, or a leader that lost its lease while paused, is refused), all of it or none.
 * The commands travel as JSON and run in order inside the script.
 */
const FENCED = `
local current = tonumber(redis.call('get', KEYS[1]) or '0')
if current ~= tonumber(ARGV[1]) then return redis.error_reply('FENCED ' .. string.format('%d', current)) end
for _, c in ipairs(cjson.decode(ARGV[2])) do redis.call(unpack(c)) end
return 1`;

/** A write refused because this process's epoch is not the site's any more. */
export class FencedError extends Error {
  constructor(readonly epoch: number, readonly currentEpoch: number) {
    super(`write refused: epoch ${epoch} is not the current one (${currentEpoch})`);
    this.name = 'FencedError';
  }
}

type Cmd = Array<string | number>;
/** Samples kept on the stream (about two days at one a second). */
const SAMPLES_KEPT = 200_000;
/** Samples read per round trip when reading a range. */
const SAMPLE_PAGE = 2000;

/**
 * The site's durable state in Redis (DESIGN rule 9, docs/design.md): jobs, the contract, grid
 * events, prices, priorities, overrides and the last registration of every host; key names
 * from @wattbroker/contracts. Writes that belong together (a job and its indexes) go in one
 * MULTI. Every record read back is parsed with its schema: one that does not parse is logged
 * with the field at fault and skipped, never half-used.
 */
export class RedisStore implements SiteStore {
  /**
   * @param epoch the epoch writes carry (the leader's; 0 when not leading, and every write
   *   is then refused)
   */
  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly epoch: () => number,
  ) {}

  /**
   * Run writes only if this process's epoch is still the site's. An audit entry, when given,
   * is appended to the trail in the same script: both happen or neither.
   */
  async write(cmds: Cmd[], audit?: AuditEntry): Promise<void> {
    if (cmds.length === 0) return;
    if (audit) cmds = [...cmds, ['XADD', KEYS.audit, 'MAXLEN', '~', AUDIT_KEPT, '*', 'v', JSON.stringify(audit)]];
    const epoch = this.epoch();
    const keys = [KEYS.epoch, ...new Set(cmds.map((c) => String(c[1])))];
    try {
      await this.redis.eval(FENCED, keys.length, ...keys, String(epoch), JSON.stringify(cmds.map((c) => c.map(String))));
    } catch (e) {
      const m = /FENCED (\d+)/.exec((e as Error).message);
      if (m) throw new FencedError(epoch, Number(m[1]));
      throw e;
    }
  }

  private parse<S extends z.ZodType>(schema: S, raw: string | null | undefined, what: string): z.infer<S> | undefined {
    if (raw === null || raw === undefined) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      this.log.error({ what }, 'stored record is not JSON; skipped');
      return undefined;
    }
    const r = schema.safeParse(json);
    if (r.success) return r.data;
    const issue = r.error.issues[0]!;
    this.log.error({ what, field: fieldPath(issue.path), issue: issue.message }, 'stored record does not match its schema; skipped');
    return undefined;
  }

  private parseAll<S extends z.ZodType>(schema: S, raws: ReadonlyArray<string | null>, what: string): Array<z.infer<S>> {
    const out: Array<z.infer<S>> = [];
    for (const raw of raws) {
      const v = this.parse(schema, raw, what);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  async saveJobs(jobs: readonly JobRecord[], audit?: AuditEntry): Promise<void> {
    const cmds: Cmd[] = [];
    for (const job of jobs) {
      cmds.push(['HSET', KEYS.jobs, job.id, JSON.stringify(job)]);
      cmds.push(TERMINAL.has(job.state) ? ['SREM', KEYS.activeJobs, job.id] : ['SADD', KEYS.activeJobs, job.id]);
      cmds.push(['ZADD', KEYS.jobOrder, 'NX', job.timestamps.queued ?? 0, job.id]);
    }
    await this.write(cmds, audit);
  }

  async job(id: string): Promise<JobRecord | undefined> {
    return this.parse(JobRecordSchema, await this.redis.hget(KEYS.jobs, id), `job ${id}`);
  }

  async activeJobs(): Promise<JobRecord[]> {
    const ids = await this.redis.smembers(KEYS.activeJobs);
    if (ids.length === 0) return [];
    return this.parseAll(JobRecordSchema, await this.redis.hmget(KEYS.jobs, ...ids), 'active job');
  }

  /**
   * Jobs newest first (by submission time, then id), filtered before the limit. `after` is the
   * last job of the previous page (its queued time and id), so jobs submitted in the same
   * millisecond are neither skipped nor repeated. `live` maps a stored job to its state now
   * (unfinished jobs live in memory), so the filter sees what the answer will show; `owner`, a tenant's own jobs only.
   */
  async jobs(q: { limit: number; state?: JobState; after?: { score: number; id: string }; live?: (j: JobRecord) => JobRecord; owner?: string }): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    const after = q.after;
    let max = after === undefined ? '+inf' : String(after.score);
    // Entries already read at score `max` (a page boundary inside one millisecond's jobs).
    let offset = 0;
    for (let pages = 0; out.length < q.limit && pages < 100; pages++) {
      const page = await this.redis.zrevrangebyscore(KEYS.jobOrder, max, '-inf', 'WITHSCORES', 'LIMIT', offset, 500);
      if (page.length === 0) break;
      const entries: Array<{ id: string; score: number }> = [];
      for (let i = 0; i < page.length; i += 2) entries.push({ id: page[i]!, score: Number(page[i + 1]) });
      // Same score as the cursor: Redis orders members in reverse, so those at or above its id were on earlier pages.
      const fresh = after ? entries.filter((e) => e.score < after.score || e.id < after.id) : entries;
      if (fresh.length > 0) {
        const jobs = this.parseAll(JobRecordSchema, await this.redis.hmget(KEYS.jobs, ...fresh.map((e) => e.id)), 'job');
        for (const stored of jobs) {
          const j = q.live ? q.live(stored) : stored;
          if ((!q.state || j.state === q.state) && (q.owner === undefined || j.owner === q.owner)) out.push(j);
        }
      }
      if (entries.length < 500) break;
      const lastScore = entries.at(-1)!.score;
      offset = String(lastScore) === max ? offset + entries.length : entries.filter((e) => e.score === lastScore).length;
      max = String(lastScore);
    }
    return out.slice(0, q.limit);
  }

  async contract(): Promise<ContractRecord | undefined> {
    return this.parse(ContractRecordSchema, await this.redis.get(KEYS.contract), 'contract');
  }

  async saveContract(c: ContractRecord, audit?: AuditEntry): Promise<void> {
    await this.write([['SET', KEYS.contract, JSON.stringify(c)]], audit);
  }

  async gridEvents(): Promise<GridEventRecord[]> {
    return this.parseAll(GridEventRecordSchema, await this.redis.hvals(KEYS.gridEvents), 'grid event').sort((a, b) => a.startsAt - b.startsAt);
  }

  async saveGridEvent(e: GridEventRecord, audit?: AuditEntry): Promise<void> {
    await this.write([['HSET', KEYS.gridEvents, e.id, JSON.stringify(e)]], audit);
  }

  async deleteGridEvent(id: string, audit?: AuditEntry): Promise<boolean> {
    if (!(await this.redis.hexists(KEYS.gridEvents, id))) return false;
    await this.write([['HDEL', KEYS.gridEvents, id]], audit);
    return true;
  }

  async energyPrice(): Promise<EnergyPriceRecord | undefined> {
    return this.parse(EnergyPriceRecordSchema, await this.redis.get(KEYS.energyPrice), 'energy price');
  }

  async saveEnergyPrice(p: EnergyPriceRecord, audit?: AuditEntry): Promise<void> {
    await this.write([['SET', KEYS.energyPrice, JSON.stringify(p)]], audit);
  }

  async hashprice(): Promise<number | undefined> {
    const raw = await this.redis.get(KEYS.hashprice);
    if (raw === null) return undefined;
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0) {
      this.log.error({ what: 'hashprice', raw }, 'stored hashprice is not a positive number; ignored');
      return undefined;
    }
    return v;
  }

  async saveHashprice(v: number, audit?: AuditEntry): Promise<void> {
    await this.write([['SET', KEYS.hashprice, String(v)]], audit);
  }

  async priorities(): Promise<PriorityClass[] | undefined> {
    return this.parse(PrioritiesRecordSchema, await this.redis.get(KEYS.priorities), 'priorities');
  }

  async savePriorities(list: readonly PriorityClass[], audit?: AuditEntry): Promise<void> {
    await this.write([['SET', KEYS.priorities, JSON.stringify(list)]], audit);
  }

  async overrides(): Promise<Map<string, DeviceOverride>> {
    const out = new Map<string, DeviceOverride>();
    for (const [id, raw] of Object.entries(await this.redis.hgetall(KEYS.overrides))) {
      const o = this.parse(DeviceOverrideSchema, raw, `override ${id}`);
      if (o) out.set(id, o);
    }
    return out;
  }

  async saveOverride(id: string, o: DeviceOverride, audit?: AuditEntry): Promise<void> {
    await this.write([o.pinnedProfile === undefined && !o.maintenance ? ['HDEL', KEYS.overrides, id] : ['HSET', KEYS.overrides, id, JSON.stringify(o)]], audit);
  }

  async registrations(): Promise<Registration[]> {
    return this.parseAll(RegistrationSchema, await this.redis.hvals(KEYS.hosts), 'registration');
  }

  async saveRegistration(r: Registration): Promise<void> {
    await this.write([['HSET', KEYS.hosts, r.hostId, JSON.stringify(r)]]);
  }

  async appendSample(s: SiteSample): Promise<void> {
    await this.write([['XADD', SITE_SAMPLES_STREAM, 'MAXLEN', '~', SAMPLES_KEPT, '*', 'v', JSON.stringify(s)]]);
  }

  /**
   * Samples from `from` to `to`, read and parsed a page at a time with a turn of the event
   * loop between pages: a long range never holds the control loop up for more than a page.
   */
  async samples(from: number, to: number): Promise<SiteSample[]> {
    const out: SiteSample[] = [];
    let start = String(Math.max(0, Math.floor(from)));
    const end = String(Math.floor(to));
    for (;;) {
      const entries = await rangeStream(this.redis, SITE_SAMPLES_STREAM, start, end, SAMPLE_PAGE);
      for (const e of entries) {
        const r = SiteSampleSchema.safeParse(e.value);
        if (r.success) out.push(r.data);
      }
      if (entries.length < SAMPLE_PAGE) return out;
      start = `(${entries.at(-1)!.id}`;
      await setImmediate();
    }
  }

  async reported(key: string): Promise<boolean> {
    return (await this.redis.sismember(KEYS.openadrReported, key)) === 1;
  }

  async markReported(key: string): Promise<void> {
    await this.write([['SADD', KEYS.openadrReported, key]]);
  }

  /** The audit trail, newest first; `before` is a cursor (the id of the last entry seen). */
  async audit(q: { limit: number; before?: string }): Promise<AuditView[]> {
    const entries = await this.redis.xrevrange(KEYS.audit, q.before === undefined ? '+' : `(${q.before}`, '-', 'COUNT', q.limit);
    const out: AuditView[] = [];
    for (const [id, fields] of entries) {
      const e = this.parse(AuditEntrySchema, fields[1], `audit entry ${id}`);
      if (e) out.push({ id, ...e, at: new Date(e.at).toISOString() });
    }
    return out;
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === 'PONG';
  }
}

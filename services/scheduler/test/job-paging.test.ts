import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis, startEmbeddedRedis, type EmbeddedRedis } from '@wattbroker/bus';
import { KEYS, type JobRecord } from '@wattbroker/contracts';
import { RedisStore } from '../src/index.js';

/**
 * Job pages on a real Redis: 1,300 jobs, 1,200 of them submitted in one millisecond (more than
 * the store reads per round trip), paged through with cursors: none lost, none repeated, and a
 * state filter applied before the limit.
 */
describe('job pages (RedisStore, real Redis)', () => {
  let redis: EmbeddedRedis;
  let conn: ReturnType<typeof openRedis>;
  let store: RedisStore;

  beforeAll(async () => {
    redis = await startEmbeddedRedis({ appendOnly: false });
    conn = openRedis(redis.url);
    store = new RedisStore(conn, pino({ level: 'silent' }), () => 0);
    const multi = conn.multi();
    for (let i = 0; i < 1300; i++) {
      const queued = i < 1200 ? 1_700_000_000_000 : 1_700_000_000_001 + i;
      const job: JobRecord = { id: `job-${String(i).padStart(4, '0')}`, class: 'standard', gpus: 1, durationS: 60, state: i % 3 === 0 ? 'done' : 'cancelled', timestamps: { queued } };
      multi.hset(KEYS.jobs, job.id, JSON.stringify(job)).zadd(KEYS.jobOrder, queued, job.id);
    }
    await multi.exec();
  }, 30_000);
  afterAll(async () => {
    conn?.disconnect();
    await redis?.stop();
  });

  const pageThrough = async (limit: number, state?: 'done') => {
    const seen: JobRecord[] = [];
    let after: { score: number; id: string } | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await store.jobs({ limit, ...(state ? { state } : {}), ...(after ? { after } : {}) });
      seen.push(...page);
      if (page.length < limit) break;
      const last = page.at(-1)!;
      after = { score: last.timestamps.queued!, id: last.id };
    }
    return seen;
  };

  it('returns every job once, newest first, across pages inside one millisecond', async () => {
    const seen = await pageThrough(170);
    expect(seen).toHaveLength(1300);
    expect(new Set(seen.map((j) => j.id)).size).toBe(1300);
    expect(seen[0]!.id).toBe('job-1299');
    const queued = seen.map((j) => j.timestamps.queued!);
    expect(queued).toEqual([...queued].sort((a, b) => b - a));
  });

  it('filters before the limit: full pages of the state asked for', async () => {
    const first = await store.jobs({ limit: 200, state: 'done' });
    expect(first).toHaveLength(200);
    expect(first.every((j) => j.state === 'done')).toBe(true);
    const done = await pageThrough(150, 'done');
    expect(done).toHaveLength(434);
    expect(new Set(done.map((j) => j.id)).size).toBe(434);
  });
});

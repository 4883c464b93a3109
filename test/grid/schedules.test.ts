import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRedis, type EmbeddedRedis } from '@wattbroker/bus';
import { GridSchedules } from '@wattbroker/scheduler';
import { freePort, spawnTs, waitFor, type Child } from '@wattbroker/testkit';
import { API_TOKENS, OPERATOR } from '../src/site.js';

/** Two scheduler processes on one private Redis. */
describe('grid schedules', () => {
  let redis: EmbeddedRedis;
  const schedulers: Child[] = [];
  const ports: number[] = [];
  const call = async (i: number, path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`http://127.0.0.1:${ports[i]}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (res.status === 204 ? null : await res.json()) as any };
  };

  beforeAll(async () => {
    redis = await startEmbeddedRedis({ appendOnly: false });
    for (let i = 0; i < 2; i++) {
      ports.push(await freePort());
      const s = spawnTs('services/scheduler/src/main.ts', ['--cap-kw', '100', '--port', String(ports[i])], {
        WATTBROKER_REDIS_URL: redis.url, WATTBROKER_API_TOKENS: API_TOKENS, LOG_LEVEL: 'warn',
      });
      await s.waitForLine(/API on/);
      schedulers.push(s);
    }
  }, 30_000);
  afterAll(async () => {
    for (const s of schedulers) await s.stop();
    await redis?.stop();
  });

  it('fires each window exactly once with two scheduler processes running', async () => {
    // One leader, one standby (once the election, which starts with the processes, is over).
    const ready = await waitFor('one leader and one standby', async () => {
      const statuses = await Promise.all([0, 1].map(async (i) => (await fetch(`http://127.0.0.1:${ports[i]}/readyz`)).status));
      return [...statuses].sort().join() === '200,503' && statuses;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    const leader = ready.indexOf(200);
    const standby = 1 - leader;
    // The standby refuses, naming the leader; the leader takes the schedule.
    const refused = await call(standby, '/v1/grid/schedules', { method: 'POST', body: { name: 'every-2s', cron: '*/2 * * * * *', tz: 'UTC', durationMinutes: 1, capKw: 60 } });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ title: 'Not the leader', leader: { url: `http://127.0.0.1:${ports[leader]}` } });
    // The scheduler processes share nothing but Redis: the leader's HTTP API is where a firing shows.
    const firedSoFar = async () => ((await call(leader, '/v1/grid/events')).body as any[]).filter((e) => e.source === 'schedule' && e.program === 'every-2s');
    const createdAt = Date.now();
    expect((await call(leader, '/v1/grid/schedules', { method: 'POST', body: { name: 'every-2s', cron: '*/2 * * * * *', tz: 'UTC', durationMinutes: 1, capKw: 60 } })).status).toBe(201);
    let deleted: { status: number };
    let deletedAt: number;
    try {
      await waitFor('two windows fired', async () => (await firedSoFar()).length >= 2, { timeoutMs: 15_000, intervalMs: 200 });
    } finally {
      deleted = await call(leader, '/v1/grid/schedules/every-2s', { method: 'DELETE' });
      deletedAt = Date.now();
    }
    expect(deleted.status).toBe(204);
    const fired = await firedSoFar();
    // A window fires (a little) after its start, every 2 s: which window is the 2-s slot it fired in.
    const windows = fired.map((e) => Math.floor(Date.parse(e.startsAt) / 2000));
    const first = Math.floor(createdAt / 2000);
    const last = Math.floor(deletedAt / 2000);
    expect(fired.length).toBeGreaterThanOrEqual(2);
    expect(new Set(windows).size).toBe(fired.length); // none fired twice
    expect(fired.length).toBeLessThanOrEqual(last - first + 1); // at most one per window while it existed
    for (const w of windows) {
      expect(w).toBeGreaterThanOrEqual(first);
      expect(w).toBeLessThanOrEqual(last);
    }
    for (const e of fired) {
      expect(e.capKw).toBe(60);
      expect(Date.parse(e.endsAt) - Date.parse(e.startsAt)).toBe(60_000);
      expect(e.program).toBe('every-2s');
    }
  }, 30_000);

  it('computes the next window in the time zone of the schedule, and names bad patterns and zones', () => {
    expect(() => GridSchedules.nextFire({ cron: '61 * * * *', tz: 'UTC' })).toThrow(/^cron: Constraint error/);
    expect(() => GridSchedules.nextFire({ cron: '0 15 * * *', tz: 'Mars/Olympus' })).toThrow('tz: unknown time zone "Mars/Olympus"');
    // An ERCOT 4CP watch: weekdays 15:00 America/Chicago, June–September.
    const next = GridSchedules.nextFire({ cron: '0 15 * 6-9 1-5', tz: 'America/Chicago' }, new Date('2026-11-22T12:00:00Z'));
    expect(next.toISOString()).toBe('2027-06-01T20:00:00.000Z'); // Tuesday 1 June 2027, 15:00 CDT
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRedis, type EmbeddedRedis } from '@wattbroker/bus';
import { GridSchedules } from '@wattbroker/scheduler';
import { freePort, spawnTs, type Child } from '@wattbroker/testkit';

/** Two scheduler processes on one private Redis. */
describe('grid schedules', () => {
  let redis: EmbeddedRedis;
  const schedulers: Child[] = [];
  const ports: number[] = [];
  const call = async (i: number, path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`http://127.0.0.1:${ports[i]}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: 'Bearer op-token-123', 'content-type': 'application/json' },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (res.status === 204 ? null : await res.json()) as any };
  };

  beforeAll(async () => {
    redis = await startEmbeddedRedis({ appendOnly: false });
    for (let i = 0; i < 2; i++) {
      ports.push(await freePort());
      const s = spawnTs('services/scheduler/src/main.ts', ['--cap-kw', '100', '--port', String(ports[i])], {
        WATTBROKER_REDIS_URL: redis.url, WATTBROKER_API_TOKENS: 'operator:op-token-123', LOG_LEVEL: 'warn',
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
    const ready = await Promise.all([0, 1].map(async (i) => (await fetch(`http://127.0.0.1:${ports[i]}/readyz`)).status));
    expect([...ready].sort()).toEqual([200, 503]);
    const leader = ready.indexOf(200);
    const standby = 1 - leader;
    // The standby refuses, naming the leader; the leader takes the schedule.
    const refused = await call(standby, '/v1/grid/schedules', { method: 'POST', body: { name: 'every-2s', cron: '*/2 * * * * *', tz: 'UTC', durationMinutes: 1, capKw: 60 } });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ title: 'Not the leader', leader: { url: `http://127.0.0.1:${ports[leader]}` } });
    expect((await call(leader, '/v1/grid/schedules', { method: 'POST', body: { name: 'every-2s', cron: '*/2 * * * * *', tz: 'UTC', durationMinutes: 1, capKw: 60 } })).status).toBe(201);
    await sleep(7000);
    expect((await call(leader, '/v1/grid/schedules/every-2s', { method: 'DELETE' })).status).toBe(204);
    const fired = ((await call(leader, '/v1/grid/events')).body as any[]).filter((e) => e.source === 'schedule');
    const windows = fired.map((e) => Math.round(Date.parse(e.startsAt) / 2000));
    expect(fired.length).toBeGreaterThanOrEqual(2);
    expect(fired.length).toBeLessThanOrEqual(4);
    expect(new Set(windows).size).toBe(fired.length);
    for (const e of fired) {
      expect(e.capKw).toBe(60);
      expect(Date.parse(e.endsAt) - Date.parse(e.startsAt)).toBe(60_000);
      expect(e.program).toBe('every-2s');
    }
  }, 20_000);

  it('computes the next window in the time zone of the schedule, and names bad patterns and zones', () => {
    expect(() => GridSchedules.nextFire({ cron: '61 * * * *', tz: 'UTC' })).toThrow(/^cron: Constraint error/);
    expect(() => GridSchedules.nextFire({ cron: '0 15 * * *', tz: 'Mars/Olympus' })).toThrow('tz: unknown time zone "Mars/Olympus"');
    // An ERCOT 4CP watch: weekdays 15:00 America/Chicago, June–September.
    const next = GridSchedules.nextFire({ cron: '0 15 * 6-9 1-5', tz: 'America/Chicago' }, new Date('2026-11-22T12:00:00Z'));
    expect(next.toISOString()).toBe('2027-06-01T20:00:00.000Z'); // Tuesday 1 June 2027, 15:00 CDT
  });
});

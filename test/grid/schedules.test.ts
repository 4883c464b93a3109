import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startEmbeddedRedis, type EmbeddedRedis } from '@wattbroker/bus';
import { GridSchedules, Scheduler } from '@wattbroker/scheduler';

/** Two scheduler processes' worth of schedulers on one private Redis. */
describe('grid schedules', () => {
  let redis: EmbeddedRedis;
  let a: Scheduler;
  let b: Scheduler;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    redis = await startEmbeddedRedis({ appendOnly: false });
    a = new Scheduler({ redisUrl: redis.url, logger, contractCapW: 100_000, marginW: 0 });
    b = new Scheduler({ redisUrl: redis.url, logger, contractCapW: 100_000, marginW: 0 });
    await a.start();
    await b.start();
  }, 20_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('fires each window exactly once with two schedulers running', async () => {
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    await a.schedules.upsert({ name: 'every-2s', cron: '*/2 * * * * *', tz: 'UTC', durationMinutes: 1, capKw: 60, mandatory: true });
    await sleep(7000);
    await a.schedules.remove('every-2s');
    const fired = (await a.store.gridEvents()).filter((e) => e.source === 'schedule');
    const windows = fired.map((e) => Math.round(e.startsAt / 2000));
    expect(fired.length).toBeGreaterThanOrEqual(2);
    expect(fired.length).toBeLessThanOrEqual(4);
    expect(new Set(windows).size).toBe(fired.length);
    for (const e of fired) {
      expect(e.capW).toBe(60_000);
      expect(e.endsAt - e.startsAt).toBe(60_000);
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

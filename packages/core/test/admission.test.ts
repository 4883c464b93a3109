import { describe, expect, it } from 'vitest';
import { gridEvent, world } from './virtual-site.js';

describe('admission: refusals at submission', () => {
  const w = world({ miners: 6, gpus: 8, lagMs: 1000, capW: 40_000 });
  w.run(0, 3000);

  it('refuses what can never run, naming the field', () => {
    expect(w.c.refusal({ class: 'standard', gpus: 16 })).toEqual({ field: 'gpus', message: '16 GPUs on one host, but the largest GPU host has 8' });
    expect(w.c.refusal({ class: 'vip', gpus: 1 })?.field).toBe('class');
    expect(w.c.refusal({ class: 'standard', gpus: 8 })).toBeUndefined();
    // A contract too small for the reservation even with every miner asleep and the rest idle.
    const small = world({ miners: 6, gpus: 8, lagMs: 1000, capW: 5000 });
    expect(small.c.refusal({ class: 'standard', gpus: 8, powerLimitW: 700 })).toMatchObject({ field: 'powerLimitW' });
    expect(small.c.refusal({ class: 'standard', gpus: 8 })?.message).toMatch(/^needs 4\.0 kW more than its GPUs idle at, but the contract leaves at most/);
    w.c.setPriorities([{ name: 'standard', kind: 'gpu', maxKw: 2 }, { name: 'fill', kind: 'asic' }]);
    expect(w.c.refusal({ class: 'standard', gpus: 4 })?.message).toBe('needs 2.8 kW, above the 2 kW maximum of class standard');
  });
});

describe('admission: backfill around reservations', () => {
  it('an impossible job does not hold back jobs that fit', () => {
    const w = world({ miners: 10, gpus: 8, lagMs: 1000, capW: 60_000 });
    w.run(0, 5000);
    const impossible = w.submit('huge', 16, 60_000, 5000); // bypasses the refusal, as a job reloaded from an older version could
    const small = [w.submit('a', 1, 10_000, 5000), w.submit('b', 2, 10_000, 5000, 'critical')];
    w.run(5250, 12_000);
    expect(impossible.state).toBe('queued');
    expect(w.c.waitReason('huge')).toMatch(/no GPU host has 16 free GPUs; no start can be foreseen yet/);
    for (const j of small) expect(['running', 'done']).toContain(j.state);
    expect(w.violations).toEqual([]);
  });

  it('a job blocked by busy GPUs gets a reservation; short jobs backfill, long ones wait, and it starts when the GPUs free up', () => {
    const w = world({ miners: 10, gpus: 8, lagMs: 1000, capW: 60_000 });
    w.run(0, 5000);
    const long = w.submit('six', 6, 60_000, 5000);
    w.run(5250, 10_000);
    expect(long.state).toBe('running');
    const runningAt = long.record.timestamps.running!;
    const big = w.submit('eight', 8, 30_000, 10_000);
    const tooLong = w.submit('late', 2, 120_000, 10_250);
    const short = w.submit('quick', 2, 20_000, 10_250);
    w.run(10_250, 15_000);
    // The 8-GPU job holds a reservation from when the 6-GPU job's run-time bound ends.
    expect(w.c.explain()!.waiting.find((x) => x.jobId === 'eight')!.reservedFrom).toBe(new Date(runningAt + 60_000).toISOString());
    expect(short.state).toBe('running'); // ends before the reservation: backfilled
    expect(tooLong.state).toBe('queued'); // would run into it: waits
    // Its own reservation comes after the 8-GPU job's run.
    const late = w.c.explain()!.waiting.find((x) => x.jobId === 'late')!;
    expect(Date.parse(late.reservedFrom!)).toBeGreaterThanOrEqual(runningAt + 60_000 + 30_000);
    w.run(15_250, runningAt + 65_000);
    expect(big.state).toBe('running');
    expect(big.record.timestamps.running! - (runningAt + 60_000)).toBeLessThanOrEqual(3000);
    expect(tooLong.state).toBe('queued');
    expect(w.violations).toEqual([]);
  });

  it('a job waiting for a grid cap to end does not stop smaller jobs that fit meanwhile', () => {
    const w = world({ miners: 10, gpus: 8, lagMs: 1000, capW: 60_000 });
    w.run(0, 5000);
    // Room for 1.6 kW of GPU jobs with every miner asleep, for 90 s.
    w.c.setGridEvents([gridEvent({ id: 'e', capW: (10 * 25 + 8 * 200 + 1600) * 1.1 + 1000, startsAt: 5000, endsAt: 95_000 })]);
    w.run(5250, 10_000);
    w.violations.length = 0; // the cap fell at once; the site took a second to shed
    const big = w.submit('big', 8, 30_000, 10_000);
    const small = [w.submit('one', 1, 20_000, 10_000), w.submit('two', 2, 20_000, 10_000)];
    w.run(10_250, 14_000);
    for (const j of small) expect(j.state).toBe('running');
    expect(big.state).toBe('queued');
    expect(w.c.explain()!.waiting.find((x) => x.jobId === 'big')!.reservedFrom).toBe(new Date(95_000).toISOString());
    w.run(14_250, 100_000);
    expect(big.state).toBe('running');
    expect(w.violations).toEqual([]);
  });
});

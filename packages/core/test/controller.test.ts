import { describe, expect, it } from 'vitest';
import { gridEvent, world } from './virtual-site.js';

describe('controller on a virtual clock', () => {
  it('fills the cap, admits jobs only after sheds are confirmed, never exceeds the cap, and refills', () => {
    const capW = 60_000 * 1.1 + 1000;
    const w = world({ miners: 20, gpus: 8, lagMs: 3000, capW });
    w.run(0, 60_000);
    w.violations.length = 0; // the world starts with every miner at default, above this cap
    const filled = w.c.sample(60_000);
    expect(filled.siteW / filled.effectiveCapW).toBeGreaterThan(0.97);
    // The first (critical) job needs 1.5 kW: more than the head-room the full site has.
    const jobs = Array.from({ length: 6 }, (_, i) => w.submit(`j${i}`, i === 0 ? 3 : 1 + (i % 3), 20_000, 60_000, i === 0 ? 'critical' : 'standard'));
    w.run(60_250, 150_000);
    expect(w.violations).toEqual([]);
    for (const j of jobs) expect(j.state).toBe('done');
    // Break before make: the site was full, so the first job had to wait for miners to shed
    // (they take 3 s here); the world checked the truth after every grant (no violations).
    expect(jobs[0]!.record.timestamps.running! - jobs[0]!.record.timestamps.admitting!).toBeGreaterThanOrEqual(3000);
    // Critical first among those that waited.
    expect(jobs[0]!.record.timestamps.admitting).toBeLessThanOrEqual(Math.min(...jobs.map((j) => j.record.timestamps.admitting!)));
    const after = w.c.sample(150_000);
    expect(after.siteW / after.effectiveCapW).toBeGreaterThan(0.97);
    expect(after.jobs).toEqual({ queued: 0, admitting: 0, running: 0 });
  });

  it('complies with a lower grid cap by shedding at once', () => {
    const capW = 60_000 * 1.1 + 1000;
    const w = world({ miners: 20, gpus: 2, lagMs: 3000, capW });
    w.run(0, 40_000);
    w.c.setGridEvents([gridEvent({ id: 'e', capW: capW * 0.6, startsAt: 41_000, endsAt: 200_000 })]);
    let compliantAt: number | undefined;
    w.run(40_250, 80_000, (now) => {
      if (compliantAt === undefined && now >= 41_000 && w.truth() <= w.c.sample(now).effectiveCapW) compliantAt = now;
    });
    expect(compliantAt).toBeDefined();
    expect(compliantAt! - 41_000).toBeLessThanOrEqual(5000);
  });

  it('counts a silent host\'s devices at their maximum and does not plan them', () => {
    const w = world({ miners: 10, gpus: 1, lagMs: 1000, capW: 60_000 });
    w.run(0, 20_000);
    const before = w.c.sample(20_000);
    w.setAsicSilent(true);
    w.run(20_250, 24_000);
    const s = w.c.sample(24_000);
    expect(s.silentHosts).toEqual(['asic']);
    expect(s.worstCaseSiteW).toBeGreaterThan(before.worstCaseSiteW);
    const plan = w.c.explain()!;
    expect(plan.excludedMiners).toHaveLength(10);
    // No new commands go to a silent host.
    expect(w.c.step(24_250).commands.filter((c) => c.hostId === 'asic')).toEqual([]);
  });

  it('queues a job that cannot fit even with every miner asleep, without touching the miners for it', () => {
    const w = world({ miners: 4, gpus: 8, lagMs: 1000, capW: 4000 });
    w.run(0, 10_000);
    w.violations.length = 0; // start-up: miners began at default, above this cap
    const job = w.submit('huge', 8, 10_000, 10_000);
    w.run(10_250, 20_000);
    expect(job.state).toBe('queued');
    expect(w.violations).toEqual([]);
  });
});

describe('level-triggered against the meter', () => {
  it('sheds at least the measured excess at once, before it has learned the new draws', () => {
    const capW = 60_000 * 1.1 + 1000;
    const w = world({ miners: 20, gpus: 0, lagMs: 1000, capW });
    w.run(0, 60_000);
    w.violations.length = 0;
    // Every miner draws 2.9 % more at the same profile (a hot afternoon): too little for any
    // one reading to look like a change, so the learned draws follow slowly.
    for (const id of w.miners.keys()) w.drift(id, 1.029);
    const over: number[] = [];
    w.run(60_250, 90_000, (now) => {
      if (w.truth() > w.c.sample(now).effectiveCapW) over.push(now);
    });
    // Over the cap from the drift until the first shed lands (telemetry 1 s, ramp 1 s), no longer.
    expect(over.length).toBeGreaterThan(0);
    expect(Math.max(...over) - 60_000).toBeLessThanOrEqual(3000);
    expect(w.c.explain()!.reasons.join(' ')).not.toMatch(/above the cap/);
  });
});

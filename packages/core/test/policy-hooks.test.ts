import { describe, expect, it } from 'vitest';
import { DEFAULT_PRIORITIES, makePolicy } from '../src/index.js';
import { world } from './virtual-site.js';

const preemptibleBatch = DEFAULT_PRIORITIES.map((c) => (c.name === 'batch' ? { ...c, preemptible: true } : c));
const capW = 60_000 * 1.1 + 1000;

describe('control-quality hooks', () => {
  it('are off by default (today\'s behaviour)', () => {
    const p = makePolicy();
    expect(p.headroom.mode).toBe('off');
    expect(p.preemption).toBe(false);
    expect(p.alignEstimates).toBe(false);
    expect(p.gpuDraw.mode).toBe('off');
    expect(makePolicy({ headroom: { mode: 'learned' } }).headroom.quantile).toBe(p.headroom.quantile);
  });

  it('preemption: a critical job takes the GPUs of running batch work at once; the batch job queues again', () => {
    const w = world({ miners: 20, gpus: 4, lagMs: 3000, capW, policy: { preemption: true }, priorities: preemptibleBatch });
    w.run(0, 40_000);
    const batch = w.submit('b', 4, 600_000, 40_000, 'batch');
    w.run(40_250, 70_000);
    expect(batch.state).toBe('running');
    w.violations.length = 0;
    const crit = w.submit('c', 2, 20_000, 70_000, 'critical');
    w.run(70_250, 72_000);
    expect(crit.state).toBe('running');
    // Its GPUs were the batch job's, already at their limit: no shed to wait for.
    expect(crit.record.timestamps.running! - crit.record.timestamps.queued!).toBeLessThanOrEqual(500);
    expect(batch.record.state).not.toBe('running');
    w.run(72_250, 200_000);
    expect(crit.state).toBe('done');
    expect(batch.state).toBe('running'); // back on its GPUs once they are free
    expect(w.violations).toEqual([]);
  });

  it('without preemption (or without a preemptible class) the critical job waits for the GPUs', () => {
    for (const opts of [{ policy: { preemption: false }, priorities: preemptibleBatch }, { policy: { preemption: true } }]) {
      const w = world({ miners: 20, gpus: 4, lagMs: 3000, capW, ...opts });
      w.run(0, 40_000);
      w.submit('b', 4, 600_000, 40_000, 'batch');
      w.run(40_250, 70_000);
      const crit = w.submit('c', 2, 20_000, 70_000, 'critical');
      w.run(70_250, 80_000);
      expect(crit.state).toBe('queued');
    }
  });

  it('learned head-room: after a burst the miners leave its power free, so the next burst starts at once', () => {
    const w = world({ miners: 20, gpus: 8, lagMs: 3000, capW, policy: { headroom: { mode: 'learned', maxFraction: 0.1 } } });
    w.run(0, 60_000);
    w.violations.length = 0; // the world starts with every miner at default, above this cap
    const first = [0, 1, 2].map((i) => w.submit(`a${i}`, 2, 20_000, 60_000));
    w.run(60_250, 120_000);
    for (const j of first) expect(j.state).toBe('done');
    // The burst is over; the miners have not taken its power back.
    expect(w.c.explain()!.reasons.join(' ')).toMatch(/head-room held for GPU jobs to come \(learned\)/);
    const second = [0, 1, 2].map((i) => w.submit(`b${i}`, 2, 20_000, 120_000));
    w.run(120_250, 122_000);
    for (const j of second) {
      expect(j.state).toBe('running');
      expect(j.record.timestamps.running! - j.record.timestamps.queued!).toBeLessThanOrEqual(500);
    }
    expect(w.violations).toEqual([]);
  });

  it('static head-room holds every GPU\'s full power while they idle', () => {
    const w = world({ miners: 20, gpus: 4, lagMs: 1000, capW, policy: { headroom: { mode: 'static' } } });
    w.run(0, 60_000);
    const p = w.c.explain()!;
    // 4 GPUs idle at 200 W could take 700 W each: 2 kW held.
    expect(p.reasons.join(' ')).toMatch(/head-room held for GPU jobs to come \(static\): 2\.0 kW/);
    expect(p.minerBudgetW).toBeCloseTo(p.itBudgetW - p.hostOverheadW - p.gpuBudgetW - 2000 - 500, 0);
  });

  describe('GPU draw credit (policy/gpu-draw-credit.ts)', () => {
    // 8 idle H100s: budgeted at their 200 W idle limit, drawing 64 W: 1,088 W below their limits.
    // The margin is 1,000 W of site power: 909 W of IT load at 10 % cooling.
    const marginItW = 1000 / 1.1;
    const settle = (gpuDraw: Record<string, unknown>) => {
      const w = world({ miners: 20, gpus: 8, lagMs: 1000, capW, gpuBursts: true, policy: { hysteresisW: 0, gpuDraw } });
      w.run(0, 60_000);
      w.violations.length = 0; // the world starts with every miner at default, above this cap
      w.run(60_250, 90_000);
      return w;
    };

    it('plans the miners into what settled GPUs leave below their limits, at most the margin, and every GPU at its limit still fits the hard cap', () => {
      const off = settle({ mode: 'off' });
      const on = settle({ mode: 'peak', windowMs: 2000, bucketMs: 1000 });
      const pOff = off.c.explain()!;
      const pOn = on.c.explain()!;
      expect(pOn.reasons.join(' ')).toMatch(/GPU draw credit \(peak\): 0\.9 kW of 8 settled GPUs/);
      expect(pOn.minerBudgetW - pOff.minerBudgetW).toBeCloseTo(marginItW, 0);
      const s = on.c.sample(90_000);
      expect(s.worstCaseSiteW).toBeGreaterThan(s.effectiveCapW); // the margin is spent ...
      expect(on.burstTruth()).toBeLessThanOrEqual(s.contractCapW + 1); // ... and no more
      expect(off.c.sample(90_000).worstCaseSiteW).toBeLessThanOrEqual(s.effectiveCapW + 1);
      expect(on.violations).toEqual([]);
    });

    it('spends only the share of the margin it is given, and no GPU without a whole window of readings earns credit', () => {
      const half = settle({ mode: 'mean', windowMs: 2000, bucketMs: 1000, marginShare: 0.5 });
      expect(half.c.explain()!.reasons.join(' ')).toMatch(/GPU draw credit \(mean\): 0\.5 kW/);
      const long = settle({ mode: 'peak', windowMs: 3_600_000, bucketMs: 60_000 });
      expect(long.c.explain()!.reasons.join(' ')).not.toMatch(/GPU draw credit/);
    });

    it('a job on credited GPUs: their credit goes while they change, comes back from their new draws; every GPU at its limit fits the hard cap throughout', () => {
      const w = settle({ mode: 'mean', windowMs: 2000, bucketMs: 1000 });
      const job = w.submit('a', 4, 60_000, 90_000, 'critical');
      const worst: number[] = [];
      w.run(90_250, 96_000, () => worst.push(w.burstTruth() - w.hardCapW()));
      expect(job.state).toBe('running');
      // Bursting at 700 W a third of the time, ~250 W otherwise: the job's GPUs are credited
      // again once they have a whole window at their new limit (more than the 4 idle ones; capped at the margin).
      w.run(96_250, 110_000, () => worst.push(w.burstTruth() - w.hardCapW()));
      expect(w.c.explain()!.reasons.join(' ')).toMatch(/GPU draw credit \(mean\): 0\.9 kW of [5-8] settled GPUs/);
      expect(Math.max(...worst)).toBeLessThanOrEqual(1);
      expect(w.violations).toEqual([]);
    });
  });
});

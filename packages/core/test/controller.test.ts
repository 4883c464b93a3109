import { describe, expect, it } from 'vitest';
import {
  Controller, DEFAULT_CONTROLLER_CONFIG, GPU_MODELS, generateFleet, plannerProfiles, sitePowerW, type Desired, type Job,
} from '../src/index.js';

/**
 * The controller against a small simulated world on a virtual clock: miners reach a new
 * profile `lagMs` after the command (drawing the higher of old and new meanwhile, the worst
 * case), GPUs enforce a new limit at once and draw their limit while a job runs.
 */
function world(opts: { miners: number; gpus: number; lagMs: number; capW: number; seed?: number }) {
  const units = generateFleet({ miners: opts.miners, seed: opts.seed ?? 4 });
  const cooling = { fixedW: 0, fractionOfIt: 0.1 };
  const c = new Controller({ ...DEFAULT_CONTROLLER_CONFIG, contractCapW: opts.capW, marginW: 1000, cooling, hysteresisW: 500, minDwellMs: 2000 });
  const miners = new Map(units.map((u) => {
    const profiles = plannerProfiles(u);
    return [u.id, { profiles, bias: u.powerBias, profile: 'default', pending: undefined as undefined | { profile: string; at: number } }];
  }));
  const h100 = GPU_MODELS.h100;
  const gpus = new Map(Array.from({ length: opts.gpus }, (_, i) => [`g${i}`, { limitW: h100.maxLimitW as number, job: null as string | null }]));
  const jobs = new Map<string, { endsAt?: number; durationMs: number }>();
  const minerW = (id: string, profile: string) => {
    const m = miners.get(id)!;
    const row = m.profiles.find((p) => p.name === profile)!;
    return profile === 'sleep' ? row.powerW : row.powerW * m.bias;
  };
  const truth = () => {
    let it = 0;
    for (const [id, m] of miners) it += m.pending ? Math.max(minerW(id, m.profile), minerW(id, m.pending.profile)) : minerW(id, m.profile);
    for (const g of gpus.values()) it += g.job ? g.limitW : h100.idleW;
    return sitePowerW(cooling, it);
  };
  c.register({ hostId: 'asic', kind: 'asic', hostOverheadW: 0, devices: units.map((u) => ({ id: u.id, kind: 'asic', model: u.model.name, profiles: plannerProfiles(u), sleepW: 25 })) }, 0);
  c.register({ hostId: 'gpu', kind: 'gpu', hostOverheadW: 0, devices: [...gpus.keys()].map((id) => ({ id, kind: 'gpu', model: h100.name, minLimitW: h100.minLimitW, maxLimitW: h100.maxLimitW, idleW: h100.idleW })) }, 0);
  const violations: string[] = [];
  const apply = (now: number, hostId: string, devices: Readonly<Record<string, Desired>>) => {
    for (const [id, want] of Object.entries(devices)) {
      if (want.kind === 'asic') {
        const m = miners.get(id)!;
        if (want.profile !== m.profile && m.pending?.profile !== want.profile) m.pending = { profile: want.profile, at: now + opts.lagMs };
      } else {
        const g = gpus.get(id)!;
        g.limitW = want.powerLimitW;
        if (want.job && g.job !== want.job.id) {
          g.job = want.job.id;
          const j = jobs.get(want.job.id)!;
          j.endsAt ??= now + j.durationMs;
        }
        if (!want.job) g.job = null;
      }
    }
    // Break before make: whatever was just granted, the site must still fit.
    const cap = c.sample(now).effectiveCapW;
    if (truth() > cap + 1) violations.push(`t=${now} after command to ${hostId}: ${truth().toFixed(0)} W > cap ${cap.toFixed(0)} W`);
  };
  let asicSilent = false;
  const telemetry = (now: number) => {
    if (!asicSilent) {
      c.telemetry({ hostId: 'asic', sentAt: now, hostOverheadW: 0, devices: [...miners].map(([id, m]) => ({
        id, reachable: true, powerW: m.pending ? Math.max(minerW(id, m.profile), minerW(id, m.pending.profile)) : minerW(id, m.profile),
        profile: m.profile, sleeping: m.profile === 'sleep', ramping: m.pending !== undefined,
      })) }, now);
    }
    c.telemetry({ hostId: 'gpu', sentAt: now, hostOverheadW: 0, devices: [...gpus].map(([id, g]) => ({
      id, reachable: true, powerW: g.job ? g.limitW : h100.idleW, powerLimitW: g.limitW, jobId: g.job,
    })) }, now);
  };
  const run = (from: number, to: number, onSample?: (now: number) => void) => {
    for (let now = from; now <= to; now += 250) {
      for (const m of miners.values()) {
        if (m.pending && m.pending.at <= now) {
          m.profile = m.pending.profile;
          m.pending = undefined;
        }
      }
      for (const [id, j] of jobs) {
        if (j.endsAt !== undefined && j.endsAt <= now) {
          j.endsAt = Infinity;
          c.jobEnded(id, true, undefined, now);
          for (const g of gpus.values()) if (g.job === id) g.job = null;
        }
      }
      if (now % 1000 === 0) {
        telemetry(now);
        const cap = c.sample(now).effectiveCapW;
        if (truth() > cap + 1) violations.push(`t=${now} sample: ${truth().toFixed(0)} W > cap ${cap.toFixed(0)} W`);
        onSample?.(now);
      }
      for (const cmd of c.step(now).commands) apply(now, cmd.hostId, cmd.devices);
    }
  };
  const submit = (id: string, gpuCount: number, durationMs: number, now: number, cls = 'standard') => {
    const job: Job = { id, class: cls, gpus: gpuCount, durationS: durationMs / 1000, state: 'queued', timestamps: { queued: now } };
    jobs.set(id, { durationMs });
    c.addJob(job);
    return job;
  };
  return { c, run, submit, truth, violations, miners, gpus, setAsicSilent: (v: boolean) => { asicSilent = v; } };
}

describe('controller on a virtual clock', () => {
  it('fills the cap, admits jobs only after sheds are confirmed, never exceeds the cap, and refills', () => {
    const capW = 60_000 * 1.1 + 1000;
    const w = world({ miners: 20, gpus: 8, lagMs: 3000, capW });
    w.run(0, 60_000);
    w.violations.length = 0; // the world starts with every miner at default, above this cap
    const filled = w.c.sample(60_000);
    expect(filled.siteW / filled.effectiveCapW).toBeGreaterThan(0.97);
    const jobs = Array.from({ length: 6 }, (_, i) => w.submit(`j${i}`, 1 + (i % 3), 20_000, 60_000, i === 0 ? 'critical' : 'standard'));
    w.run(60_250, 150_000);
    expect(w.violations).toEqual([]);
    for (const j of jobs) expect(j.state).toBe('done');
    // Break before make: the site was full, so the first job had to wait for miners to shed
    // (they take 3 s here); the world checked the truth after every grant (no violations).
    expect(jobs[0]!.timestamps.running! - jobs[0]!.timestamps.admitting!).toBeGreaterThanOrEqual(3000);
    // Critical first among those that waited.
    expect(jobs[0]!.timestamps.admitting).toBeLessThanOrEqual(Math.min(...jobs.map((j) => j.timestamps.admitting!)));
    const after = w.c.sample(150_000);
    expect(after.siteW / after.effectiveCapW).toBeGreaterThan(0.97);
    expect(after.jobs).toEqual({ queued: 0, admitting: 0, running: 0 });
  });

  it('complies with a lower grid cap by shedding at once', () => {
    const capW = 60_000 * 1.1 + 1000;
    const w = world({ miners: 20, gpus: 2, lagMs: 3000, capW });
    w.run(0, 40_000);
    w.c.setGridCaps([{ id: 'e', capW: capW * 0.6, startsAt: 41_000, endsAt: 200_000 }]);
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

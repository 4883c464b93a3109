import {
  Controller, DEFAULT_CONTROLLER_CONFIG, GPU_MODELS, generateFleet, plannerProfiles, sitePowerW, type Desired, type Job,
} from '../src/index.js';

/**
 * The controller against a small simulated world on a virtual clock: miners reach a new
 * profile `lagMs` after the command (drawing the higher of old and new meanwhile, the worst
 * case), GPUs enforce a new limit at once and draw their limit while a job runs.
 */
export function world(opts: { miners: number; gpus: number; lagMs: number; capW: number; seed?: number }) {
  const units = generateFleet({ miners: opts.miners, seed: opts.seed ?? 4 });
  const cooling = { fixedW: 0, fractionOfIt: 0.1 };
  const c = new Controller({ ...DEFAULT_CONTROLLER_CONFIG, contractCapW: opts.capW, marginW: 1000, cooling, hysteresisW: 500, minDwellMs: 2000 });
  const miners = new Map(units.map((u) => {
    const profiles = plannerProfiles(u);
    return [u.id, { model: u.model.key, profiles, bias: u.powerBias, profile: 'default', pending: undefined as undefined | { profile: string; at: number }, changes: [] as Array<{ at: number; profile: string }> }];
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
        if (want.profile !== m.profile && m.pending?.profile !== want.profile) {
          m.pending = { profile: want.profile, at: now + opts.lagMs };
          m.changes.push({ at: now, profile: want.profile });
        }
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


import type { DesiredState, GridEventRecord, JobRecord, PriorityClass } from '@wattbroker/contracts';
import { Controller, GPU_MODELS, generateFleet, mulberry32, plannerProfiles, seedFrom, sitePowerW, type Policy } from '../src/index.js';

/** A grid event record for tests (defaults for the fields a test does not care about). */
export function gridEvent(e: Pick<GridEventRecord, 'id' | 'capW' | 'startsAt' | 'endsAt'> & Partial<GridEventRecord>): GridEventRecord {
  return { mandatory: true, source: 'rest', ...e };
}

export interface WorldOptions {
  miners: number;
  gpus: number;
  lagMs: number;
  capW: number;
  seed?: number;
  policy?: Partial<Omit<Policy, 'reconcile' | 'headroom' | 'gpuDraw'>> & { reconcile?: Partial<Policy['reconcile']>; headroom?: Partial<Policy['headroom']>; gpuDraw?: Partial<Policy['gpuDraw']> };
  /** Busy GPUs draw as inference does: their limit in about a third of the seconds, well under it otherwise (default: their limit). */
  gpuBursts?: boolean;
  priorities?: readonly PriorityClass[];
}

/**
 * The controller against a small simulated site on a virtual clock. Miners behave as LuxOS
 * ones do: a new profile shows at once and the miner ramps to it over `lagMs` (drawing the
 * higher of old and new meanwhile, the worst case); put to sleep it powers down over `lagMs`;
 * woken it boots (asleep, showing its profile) for `lagMs`. GPUs enforce a new limit at once
 * and draw their limit while a job runs (or, with `gpuBursts`, their limit in bursts and well
 * under it between them). With the GPU draw credit on (policy/gpu-draw-credit.ts) the site may
 * use its safety margin: the checks here hold it to the hard cap instead. Commands are applied the moment they are issued, the
 * agent's report follows at once, telemetry arrives every second.
 */
export function world(opts: WorldOptions) {
  const units = generateFleet({ miners: opts.miners, seed: opts.seed ?? 4 });
  const cooling = { fixedW: 0, fractionOfIt: 0.1 };
  const c = new Controller({ contract: { capW: opts.capW, marginW: 1000 }, cooling, policy: { hysteresisW: 500, minDwellMs: 2000, ...opts.policy }, ...(opts.priorities ? { priorities: opts.priorities } : {}) });
  const miners = new Map(units.map((u) => {
    const profiles = plannerProfiles(u);
    return [u.id, {
      model: u.model.key, profiles, bias: u.powerBias, profile: 'default', configured: 'default',
      pending: undefined as undefined | { profile: string; at: number }, changes: [] as Array<{ at: number; profile: string }>,
      /** Ignores commands (a miner whose firmware does not take them). */
      deaf: false,
      /** The last command the agent applied to it (readings carry it). */
      applied: undefined as string | undefined,
    }];
  }));
  const h100 = GPU_MODELS.h100;
  const gpus = new Map(Array.from({ length: opts.gpus }, (_, i) => [`g${i}`, { limitW: h100.maxLimitW as number, job: null as string | null }]));
  const jobs = new Map<string, { endsAt?: number; durationMs: number }>();
  const records = new Map<string, JobRecord>();
  const minerW = (id: string, profile: string) => {
    const m = miners.get(id)!;
    const row = m.profiles.find((p) => p.name === profile)!;
    return profile === 'sleep' ? row.powerW : row.powerW * m.bias;
  };
  let clock = 0;
  /** A GPU's true draw: a running job's in bursts (seeded by card and second) or at its limit. */
  const gpuW = (id: string, g: { limitW: number; job: string | null }) => {
    if (!g.job) return h100.idleW;
    if (!opts.gpuBursts) return g.limitW;
    const r = mulberry32(seedFrom('burst', opts.seed ?? 4, id, Math.floor(clock / 1000)))();
    return r < 0.35 ? g.limitW : Math.min(g.limitW, h100.idleW + 0.3 * (h100.maxLimitW - h100.idleW));
  };
  const spendsMargin = (opts.policy?.gpuDraw?.mode ?? 'off') !== 'off';
  const hardCapW = () => c.sample(clock).effectiveCapW + (spendsMargin ? c.state.contract.marginW : 0);
  const drawW = (id: string) => {
    const m = miners.get(id)!;
    return m.pending ? Math.max(minerW(id, m.profile), minerW(id, m.pending.profile)) : minerW(id, m.profile);
  };
  const truthIt = () => {
    let it = 0;
    for (const id of miners.keys()) it += drawW(id);
    for (const [id, g] of gpus) it += gpuW(id, g);
    return it;
  };
  const truth = () => sitePowerW(cooling, truthIt());
  /** The site if every GPU drew its limit at once (the worst a burst can do before any miner sheds). */
  const burstTruth = () => {
    let it = 0;
    for (const id of miners.keys()) it += drawW(id);
    for (const g of gpus.values()) it += g.limitW;
    return sitePowerW(cooling, it);
  };
  c.register({ hostId: 'asic', kind: 'asic', hostOverheadW: 0, devices: units.map((u) => ({ id: u.id, kind: 'asic', model: u.model.name, profiles: plannerProfiles(u), sleepW: 25 })) }, 0);
  c.register({ hostId: 'gpu', kind: 'gpu', hostOverheadW: 0, devices: [...gpus.keys()].map((id) => ({ id, kind: 'gpu', model: h100.name, minLimitW: h100.minLimitW, maxLimitW: h100.maxLimitW, idleW: h100.idleW })) }, 0);
  const violations: string[] = [];
  const commandsSent: Array<{ at: number; hostId: string; devices: Readonly<Record<string, DesiredState>>; truthBefore: number; truthAfter: number; capW: number }> = [];
  /** A miner moves to `profile` (a command, or a technician over the miner's own API). */
  const move = (id: string, profile: string, now: number) => {
    const m = miners.get(id)!;
    if (profile === (m.pending?.profile ?? m.profile)) return;
    // A miner ramping already carries on from where it is: a new target does not restart the ramp.
    m.pending = { profile, at: m.pending ? Math.min(m.pending.at, now + opts.lagMs) : now + opts.lagMs };
    if (profile !== 'sleep') m.configured = profile;
    m.changes.push({ at: now, profile });
  };
  const apply = (now: number, hostId: string, commandId: string, devices: Readonly<Record<string, DesiredState>>) => {
    const truthBefore = truth();
    for (const [id, want] of Object.entries(devices)) {
      if (want.kind === 'asic') {
        const m = miners.get(id)!;
        m.applied = commandId;
        if (!m.deaf) move(id, want.profile, now);
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
    c.result({ hostId, commandId, stale: false, devices: Object.fromEntries(Object.keys(devices).map((id) => [id, { ok: true, confirmed: false }])) }, now);
    // Break before make: whatever was just granted, the site must still fit.
    const cap = hardCapW();
    commandsSent.push({ at: now, hostId, devices, truthBefore, truthAfter: truth(), capW: cap });
    if (truth() > cap + 1) violations.push(`t=${now} after command to ${hostId}: ${truth().toFixed(0)} W > cap ${cap.toFixed(0)} W`);
  };
  let asicSilent = false;
  const telemetry = (now: number) => {
    if (!asicSilent) {
      c.telemetry({ hostId: 'asic', hostOverheadW: 0, devices: [...miners].map(([id, m]) => {
        const target = m.pending?.profile ?? m.profile;
        const asleep = target === 'sleep' || m.profile === 'sleep';
        return {
          id, reachable: true, powerW: drawW(id), hashrateThs: 0, profile: m.configured, sleeping: asleep,
          waking: m.profile === 'sleep' && m.pending !== undefined && m.pending.profile !== 'sleep',
          ...(m.applied ? { appliedCommandId: m.applied } : {}),
          ramping: m.pending !== undefined && !asleep,
        };
      }) }, now);
    }
    c.telemetry({ hostId: 'gpu', hostOverheadW: 0, devices: [...gpus].map(([id, g]) => ({
      id, reachable: true, powerW: gpuW(id, g), powerLimitW: g.limitW, jobId: g.job,
    })) }, now);
  };
  const record = (t: { job: JobRecord } | undefined) => {
    if (t) records.set(t.job.id, t.job);
  };
  const run = (from: number, to: number, onSample?: (now: number) => void, onTick?: (now: number) => void) => {
    for (let now = from; now <= to; now += 250) {
      clock = now;
      for (const m of miners.values()) {
        if (m.pending && m.pending.at <= now) {
          m.profile = m.pending.profile;
          m.pending = undefined;
        }
      }
      for (const [id, j] of jobs) {
        if (j.endsAt !== undefined && j.endsAt <= now) {
          j.endsAt = Infinity;
          record(c.jobEnded(id, true, undefined, now));
          for (const g of gpus.values()) if (g.job === id) g.job = null;
        }
      }
      if (now % 1000 === 0) {
        telemetry(now);
        const cap = hardCapW();
        if (truth() > cap + 1) violations.push(`t=${now} sample: ${truth().toFixed(0)} W > cap ${cap.toFixed(0)} W`);
        onSample?.(now);
      }
      const out = c.step(now);
      for (const t of out.jobTransitions) record(t);
      for (const cmd of out.commands) apply(now, cmd.hostId, cmd.commandId, cmd.devices);
      onTick?.(now);
    }
  };
  const submit = (id: string, gpuCount: number, durationMs: number, now: number, cls = 'standard') => {
    const job: JobRecord = { id, class: cls, gpus: gpuCount, durationS: durationMs / 1000, state: 'queued', timestamps: { queued: now } };
    jobs.set(id, { durationMs });
    records.set(id, job);
    c.addJob(job);
    return { id, get state() { return records.get(id)!.state; }, get record() { return records.get(id)!; } };
  };
  /**
   * The least the site could draw now: every miner that takes commands asleep, deaf ones as
   * they are, GPUs running jobs at their limit (jobs are not preempted), idle GPUs idle.
   */
  /** Each device's true draw now. */
  const draws = () => new Map<string, number>([...[...miners.keys()].map((id) => [id, drawW(id)] as [string, number]), ...[...gpus].map(([id, g]) => [id, gpuW(id, g)] as [string, number])]);
  const minimalTruth = () => {
    let it = 0;
    for (const [id, m] of miners) it += m.deaf ? drawW(id) : minerW(id, 'sleep');
    for (const g of gpus.values()) it += g.job ? g.limitW : h100.idleW;
    return sitePowerW(cooling, it);
  };
  return {
    c, run, submit, truth, truthIt, burstTruth, hardCapW, draws, minimalTruth, violations, miners, gpus, move, commandsSent,
    setAsicSilent: (v: boolean) => { asicSilent = v; },
    isAsicSilent: () => asicSilent,
    /** A miner's true draw changes at the same profile (dust, heat, a failing fan). */
    drift: (id: string, factor: number) => { miners.get(id)!.bias *= factor; },
    cancel: (id: string, now: number) => record(c.cancelJob(id, now)),
  };
}

import type { DesiredState, DeviceReading, GridEventRecord, JobRecord, PriorityClass, Trace } from '@wattbroker/contracts';
import { Controller, estimateW, FleetPlanner, itBudgetW, plannerProfiles, seedFrom, sitePowerW, type JobTransition, type Plan } from '@wattbroker/core';
import { EmulatedGpu } from '@wattbroker/miner-sim';
import { EventQueue } from './event-queue.js';
import { MinerFleet } from './miner-fleet.js';
import type { SimOptions, Variant } from './sim-options.js';
import type { GridEventRun, JobOutcome, Series, SimResult } from './sim-result.js';
import type { SimSite } from './site.js';

const SETTLE_WATCH_MS = 30_000;
/** The explanation's words for raises held back (read-models/explanation.ts). */
const HELD = /raise\(s\) wait for (their minimum dwell|sheds to be confirmed)/;
/** Readings of a miner once it has settled (the first confirms; the next teach its draw). */
const SETTLED_READINGS = 3;
/**
 * A control step's duration per device (µs): the live scheduler's steady step measured by
 * `pnpm bench:step` (median 32.6 ms at 100,000 miners, 2026-12-03). SimOptions.stepMs.
 */
const STEP_US_PER_DEVICE = 0.33;
/** Sleeping miners count as powered down (steady) within this of their sleep draw. */
const SLEEP_SETTLED_W = 1;

interface AsicHostSim {
  readonly id: string;
  readonly miners: readonly number[];
  readonly phaseMs: number;
  /** Miners whose state may still change on its own, or whose last reading does not show where they settled. */
  readonly moving: Set<number>;
  /** Miners written recently: read back every readbackMs until they settle. */
  readonly written: Map<number, number>;
  /** Settled miners still read: how many more readings. */
  readonly tail: Map<number, number>;
  readbackAt: number;
  refreshCursor: number;
}

interface GpuSim {
  readonly id: string;
  readonly emu: EmulatedGpu;
  job: string | null;
  sentLimitW: number;
  sentJob: string | null;
  /** The limit set on the card (reported at once; enforced a simulated second later). */
  limitW: number;
  /** Draw at the last whole second (what its next reading reports: nvidia-smi's is a 1-second average anyway). */
  drawW: number;
}

interface GpuHostSim {
  readonly id: string;
  readonly overheadW: number;
  readonly phaseMs: number;
  readonly gpus: GpuSim[];
}

/**
 * The site around the control core, on a virtual clock. The controller is the same
 * `Controller` the scheduler runs; around it: miners with the emulator's `MinerPhysics`, GPUs
 * with its `EmulatedGpu` (bursty draw inside the enforced limit), and agents as
 * services/agent behaves — a command is applied `latencyMs` after the step that issued it and
 * reported at once; written devices are read back at once and every `readbackMs` until they
 * settle; every host sends a batch every `telemetryMs` (its heartbeat) with what changed;
 * readings carry the last command applied. Steps run on every tick and as soon as a job
 * arrives or ends or telemetry shows a device reach or leave its target, as the scheduler's
 * control loop does. Deterministic: no wall clock, no unseeded randomness.
 */
export class SiteSimulation {
  private readonly c: Controller;
  private readonly q = new EventQueue();
  private readonly site: SimSite;
  private readonly trace: Trace;
  private readonly variant: Variant;
  private readonly warmupMs: number;
  private readonly refreshMs: number;
  private readonly maxQuietMs: number;
  private readonly endMs: number;
  private readonly startEpoch: number;
  private readonly speed: number;
  private now: number;

  // Miners (index = position in site.units).
  private readonly miners: MinerFleet;
  private readonly applied: Array<string | undefined>;
  private readonly hostOf: Int32Array;
  private readonly minerIndex = new Map<string, number>();
  private readonly asicHosts: AsicHostSim[];
  private readonly gpuHosts: GpuHostSim[];
  private readonly gpuById = new Map<string, { host: GpuHostSim; gpu: GpuSim }>();
  private readonly gpuApplied = new Map<string, string>();
  private readonly jobClass = new Map<string, string>();
  private readonly jobEnds = new Map<string, number>();
  /** Jobs running on GPUs now: when they started (trace ms) and on how many GPUs. */
  private readonly runs = new Map<string, { at: number; gpus: number }>();

  private stepRequested = false;
  private deferred = false;
  private readonly warmupGapMs: number;
  private readonly stepMs: number;
  private dirty = false;
  private lastActive = true;
  private lastStepAt = Number.NEGATIVE_INFINITY;
  private lastPlan: Plan | undefined;
  /** A job of the last step waits for power (not for GPUs): any reading may admit it. */
  private waitsForPower = false;
  private steps = 0;
  private skipped = 0;
  private commands = 0;
  private transitions = 0;
  private readonly jobs = new Map<string, JobOutcome>();
  private readonly gridEvents: GridEventRun[] = [];
  private announced: GridEventRecord[] = [];
  private readonly series: Series;
  private priceIdx = -1;
  private hashIdx = -1;
  private gpuRevenueRate = 0;

  constructor(private readonly opts: SimOptions) {
    this.site = opts.site;
    this.trace = opts.trace;
    this.variant = opts.variant;
    this.warmupMs = (opts.warmupS ?? 300) * 1000;
    this.refreshMs = (opts.refreshS ?? 0) * 1000;
    this.maxQuietMs = opts.maxQuietMs ?? 60_000;
    this.warmupGapMs = opts.warmupStepGapMs ?? 0;
    this.stepMs = opts.stepMs ?? Math.floor(STEP_US_PER_DEVICE * (this.site.units.length + this.site.gpuHosts.reduce((a, h) => a + h.gpus, 0)) / 1000);
    this.endMs = Math.round(this.trace.durationS * 1000);
    this.startEpoch = Date.parse(this.trace.start);
    this.speed = this.site.physics.speed;
    this.now = -this.warmupMs;
    const priorities = withZones(this.variant.priorities, this.site.zoneClasses);
    this.c = new Controller({
      contract: { capW: this.site.capW, marginW: this.site.marginW }, cooling: this.site.cooling,
      policy: { commandIdPrefix: 'c', ...this.variant.policy }, priorities,
    });

    const ph = this.site.physics;
    const units = this.site.units;
    this.miners = new MinerFleet(this.site, ph.initialProfile === 'planned' ? this.plannedProfiles() : units.map(() => ph.initialProfile));
    this.applied = new Array(units.length).fill(undefined);
    this.hostOf = new Int32Array(units.length);
    units.forEach((u, i) => this.minerIndex.set(u.id, i));
    const hostsTotal = this.site.asicHosts.length + this.site.gpuHosts.length;
    const tele = this.site.agents.telemetryMs;
    this.asicHosts = this.site.asicHosts.map((h, k) => {
      for (const i of h.miners) this.hostOf[i] = k;
      // Every miner is in the first round (the agent's first telemetry is a full read).
      return { id: h.id, miners: h.miners, phaseMs: Math.floor((k * tele) / hostsTotal), moving: new Set(h.miners), written: new Map(), tail: new Map(), readbackAt: Number.POSITIVE_INFINITY, refreshCursor: 0 };
    });
    const clock = { simNow: () => this.physS(this.now) };
    this.gpuHosts = this.site.gpuHosts.map((h, k) => ({
      id: h.id, overheadW: h.overheadW, phaseMs: Math.floor(((this.site.asicHosts.length + k) * tele) / hostsTotal),
      gpus: Array.from({ length: h.gpus }, (_, i) => ({
        id: `${h.id}-gpu${i}`, emu: new EmulatedGpu(h.model, i, seedFrom(this.site.seed, h.id), clock), job: null, sentLimitW: -1, sentJob: null, limitW: h.model.maxLimitW, drawW: h.model.idleW,
      })),
    }));
    for (const host of this.gpuHosts) for (const gpu of host.gpus) this.gpuById.set(gpu.id, { host, gpu });

    const n = Math.ceil(this.trace.durationS);
    const col = () => new Float64Array(n);
    this.series = {
      n, limitW: col(), marginW: col(), siteW: col(), asicW: col(), gpuW: col(), hostOverheadW: col(), coolingW: col(), hashrateThs: col(),
      gpuLimitW: col(), minerBudgetW: col(), heldW: col(), creditW: col(), pricePerMWh: col().fill(Number.NaN), hashprice: col().fill(Number.NaN), gpuRevenueUsd: col(),
      busyGpus: col(), queuedJobs: col(),
    };
  }

  /**
   * What the planner would give each miner with the GPUs idle (their true draws, as it will
   * learn them): a large fleet starts there instead of all at `default`, so the warm-up does
   * not move (and re-learn) every miner.
   */
  private plannedProfiles(): string[] {
    const s = this.site;
    const planner = new FleetPlanner(s.units.map((u) => {
      const all = plannerProfiles(u);
      const rows = this.variant.onOff ? all.filter((p) => p.name === 'sleep' || p.name === 'default') : all;
      return { id: u.id, profiles: rows.map((p) => (p.name === 'sleep' ? p : { ...p, powerW: p.powerW * u.powerBias })) };
    }));
    const gpusW = s.gpuHosts.reduce((a, h) => a + h.overheadW + h.gpus * h.model.minLimitW, 0);
    const budgetW = itBudgetW(s.cooling, s.capW - s.marginW) - gpusW - (this.c.policy.hysteresisW ?? 0);
    const r = planner.solve({ budgetW: Math.max(0, budgetW) });
    return s.units.map((u) => r.assignments.get(u.id) ?? 'default');
  }

  /** Physics time (s) at trace time t (ms): physics runs `speed` times faster than the trace. */
  private physS(t: number): number {
    return ((t + this.warmupMs) / 1000) * this.speed;
  }

  private epoch(t: number): number {
    return this.startEpoch + t;
  }

  run(): SimResult {
    const wall = performance.now();
    this.setup();
    let nextProgress = 0;
    const total = this.endMs + this.warmupMs;
    while (this.q.size) {
      const t = this.q.peekTime();
      if (t > this.endMs) break;
      this.now = t;
      while (this.q.peekTime() === t) this.q.pop()();
      // A step asked for while the last one still runs (or, in the warm-up, within its gap) waits for it.
      const gap = t < 0 ? Math.max(this.warmupGapMs, this.stepMs) : this.stepMs;
      if (this.stepRequested && t - this.lastStepAt < gap) {
        this.stepRequested = false;
        if (!this.deferred) {
          this.deferred = true;
          const at = this.lastStepAt + gap;
          this.q.push(t < 0 ? Math.min(0, at) : at, () => {
            this.deferred = false;
            this.stepRequested = true;
          });
        }
      }
      if (this.stepRequested) this.step(t);
      if (t >= 0 && t % 1000 === 0 && t < this.endMs) this.sample(t / 1000);
      if (this.opts.onProgress && t >= nextProgress) {
        this.opts.onProgress((t + this.warmupMs) / total);
        nextProgress = t + total / 200;
      }
    }
    this.opts.onProgress?.(1);
    // Work still running at the end counts for what it did.
    for (const id of [...this.runs.keys()]) this.endRun(id, true);
    for (const j of this.jobs.values()) {
      const live = this.c.job(j.id);
      if (live) j.state = live.state;
    }
    return {
      variant: this.variant, startEpochMs: this.startEpoch, series: this.series, jobs: [...this.jobs.values()], transitions: this.transitions,
      miners: this.site.units.length, gpus: this.gpuById.size, gridEvents: this.gridEvents,
      stats: { steps: this.steps, ticksSkipped: this.skipped, commands: this.commands, wallMs: performance.now() - wall, simulatedS: total / 1000 },
    };
  }

  // ---- set-up: registrations, timers, the trace -----------------------------------------

  private setup(): void {
    const t0 = -this.warmupMs;
    for (const h of this.asicHosts) {
      this.c.register({
        hostId: h.id, kind: 'asic', hostOverheadW: 0,
        devices: h.miners.map((i) => {
          const u = this.site.units[i]!;
          const all = plannerProfiles(u);
          const profiles = this.variant.onOff ? all.filter((p) => p.name === 'sleep' || p.name === 'default') : all;
          return { id: u.id, kind: 'asic' as const, model: u.model.name, profiles, sleepW: u.sleepW };
        }),
      }, this.epoch(t0));
      this.every(t0 + h.phaseMs, this.site.agents.telemetryMs, () => this.asicHeartbeat(h));
    }
    for (const h of this.gpuHosts) {
      this.c.register({
        hostId: h.id, kind: 'gpu', hostOverheadW: h.overheadW,
        devices: h.gpus.map((g) => ({ id: g.id, kind: 'gpu' as const, model: g.emu.model.name, minLimitW: g.emu.model.minLimitW, maxLimitW: g.emu.model.maxLimitW, idleW: g.emu.model.idleW })),
      }, this.epoch(t0));
      this.every(t0 + h.phaseMs, this.site.agents.telemetryMs, () => this.gpuHeartbeat(h));
    }
    this.every(t0, this.variant.tickMs, () => this.tick());
    // Every second of the trace is visited (samples are taken after that instant's events and step).
    this.every(0, 1000, () => undefined);
    this.stepRequested = true;

    // Trace: jobs, grid events (announced ahead by their notice), prices and hashprice.
    const tr = this.trace;
    tr.jobs.forEach((j, k) => this.q.push(Math.round(j.at * 1000), () => this.submit(j, k)));
    const preShedMs = this.c.policy.preShedMs;
    tr.gridEvents.forEach((g, k) => {
      const startS = g.at ?? (Date.parse(g.startsAt!) - this.startEpoch) / 1000;
      const endS = g.durationS !== undefined ? startS + g.durationS : (Date.parse(g.endsAt!) - this.startEpoch) / 1000;
      const announceMs = Math.max(t0, Math.round((startS - g.noticeS) * 1000));
      this.q.push(announceMs, () => this.announce(g, k, startS, endS, announceMs));
      const rampMs = (g.rampMinutes ?? 0) * 60_000;
      for (const b of [startS * 1000 - preShedMs - rampMs, startS * 1000 - preShedMs, startS * 1000, endS * 1000]) {
        if (b > announceMs) this.q.push(Math.round(b), () => this.request());
      }
    });
    if (tr.prices.length) {
      const intervals = tr.prices.map((p, i) => ({ start: this.epoch(p.at * 1000), end: this.epoch((tr.prices[i + 1]?.at ?? tr.durationS) * 1000), pricePerMWh: p.pricePerMWh }))
        .filter((x) => x.end > x.start);
      this.c.setEnergyPrice({ kind: 'intervals', intervals });
      for (const p of tr.prices) this.q.push(Math.round(p.at * 1000), () => this.request());
    }
    for (const h of tr.hashprice) this.q.push(Math.round(h.at * 1000), () => {
      this.c.setHashprice(h.usdPerThDay);
      this.request();
    });
  }

  /** A repeating timer from `first`, every `periodMs`. */
  private every(first: number, periodMs: number, fn: () => void): void {
    const fire = (t: number) => {
      fn();
      const next = t + periodMs;
      if (next <= this.endMs) this.q.push(next, () => fire(next));
    };
    this.q.push(first, () => fire(first));
  }

  private request(): void {
    this.stepRequested = true;
  }

  // ---- the control loop ------------------------------------------------------------------

  private tick(): void {
    // The scheduler steps on every tick. A step with no new input since a step that sent
    // nothing and left nothing pending decides nothing: skipped (and counted), except that
    // one runs at least every maxQuietMs.
    const minute = Math.floor(this.now / 60_000) !== Math.floor(this.lastStepAt / 60_000);
    // Learned draws the plan takes at this step (core state/learned-draws.ts) may move it.
    const draws = this.c.learnedDrawsDueAt();
    const takesDraws = draws !== undefined && this.epoch(this.now) >= draws;
    if (this.maxQuietMs === 0 || this.dirty || this.lastActive || minute || takesDraws || this.now - this.lastStepAt >= this.maxQuietMs) this.stepRequested = true;
    else this.skipped++;
  }

  private step(t: number): void {
    this.stepRequested = false;
    this.dirty = false;
    this.lastStepAt = t;
    this.steps++;
    const out = this.c.step(this.epoch(t));
    this.opts.onStep?.(t, out, this.c);
    this.lastPlan = out.plan;
    for (const tr of out.jobTransitions) this.onTransition(tr);
    for (const cmd of out.commands) {
      this.commands++;
      this.q.push(t + this.site.agents.latencyMs, () => this.apply(cmd.hostId, cmd.commandId, cmd.devices));
    }
    const p = out.plan;
    this.waitsForPower = false;
    for (const [id, w] of p.waiting) {
      // The admission's words for "no GPUs free" (admission/backfill.ts): the wait is the GPUs', not the power's.
      if (/GPU host has \d+ free GPUs|free GPUs are reserved/.test(w.reason)) {
        const j = this.jobs.get(id);
        if (j) j.gpuBound = true;
      } else this.waitsForPower = true;
    }
    // (Waiting jobs alone do not keep the loop busy: what admits them — GPUs or power freed, a
    // cap that ends — arrives as an event that asks for a step.)
    this.lastActive = out.commands.length > 0 || out.jobTransitions.length > 0 || p.offTarget.length > 0
      || p.explanation.reconcile.excessW > 0 || this.heldChanges(p);
  }

  /**
   * Some change the plan wants is not yet commanded: a raise held by the minimum dwell or by
   * break before make (the plan's explanation counts them), or a job still admitting.
   */
  private heldChanges(p: Plan): boolean {
    for (const j of this.c.state.jobs.values()) if (j.state === 'admitting') return true;
    return p.explanation.reasons.some((r) => HELD.test(r));
  }

  private onTransition(tr: JobTransition): void {
    const j = this.jobs.get(tr.job.id);
    if (!j) return;
    j.state = tr.to;
    if (tr.to === 'running') j.runningAt ??= tr.at;
    if (tr.to === 'queued' && tr.from !== 'queued') j.preempted++;
    if (tr.to === 'done' || tr.to === 'failed' || tr.to === 'cancelled') j.endedAt = tr.at;
  }

  // ---- jobs, grid events -----------------------------------------------------------------

  private submit(tj: Trace['jobs'][number], k: number): void {
    const id = tj.id ?? `j-${String(k + 1).padStart(6, '0')}`;
    const at = this.epoch(this.now);
    const job: JobRecord = {
      id, class: tj.class, gpus: tj.gpus, durationS: tj.durationS, state: 'queued', timestamps: { queued: at },
      ...(tj.powerLimitW !== undefined ? { powerLimitW: tj.powerLimitW } : {}),
    };
    const outcome: JobOutcome = { id, class: tj.class, gpus: tj.gpus, submittedS: this.now / 1000, state: 'queued', queuedAt: at, preempted: 0, gpuBound: false, gpuSeconds: 0 };
    this.jobs.set(id, outcome);
    const refusal = this.c.refusal(job);
    if (refusal) {
      outcome.state = 'refused';
      outcome.refused = `${refusal.field}: ${refusal.message}`;
      return;
    }
    this.jobClass.set(id, tj.class);
    this.c.addJob(job);
    this.request();
  }

  private announce(g: Trace['gridEvents'][number], k: number, startS: number, endS: number, announceMs: number): void {
    let capW = (g.capKw ?? 0) * 1000;
    let extra: Partial<GridEventRecord> = {};
    if (g.shedKw !== undefined) {
      // As POST /v1/grid/events does: from the mean site power of the hour before.
      const baselineW = this.meanSiteW(Math.max(0, announceMs / 1000 - 3600), announceMs / 1000);
      capW = Math.max(0, baselineW - g.shedKw * 1000);
      extra = { shedW: Math.round(g.shedKw * 1000), baselineW: Math.round(baselineW) };
    }
    const record: GridEventRecord = {
      id: g.id ?? `grid-${k + 1}`, capW, startsAt: this.epoch(Math.round(startS * 1000)), endsAt: this.epoch(Math.round(endS * 1000)),
      mandatory: g.mandatory, source: 'rest', ...extra,
      ...(g.rampMinutes !== undefined ? { rampMs: g.rampMinutes * 60_000 } : {}), ...(g.program ? { program: g.program } : {}),
    };
    this.announced = [...this.announced, record];
    this.gridEvents.push({ record, announcedS: announceMs / 1000, startS, endS });
    this.c.setGridEvents(this.announced);
    this.request();
  }

  private meanSiteW(fromS: number, toS: number): number {
    const s = this.series.siteW;
    let sum = 0;
    let n = 0;
    for (let i = Math.max(0, Math.floor(fromS)); i < Math.min(s.length, Math.ceil(toS)); i++) {
      sum += s[i]!;
      n++;
    }
    if (n > 0) return sum / n;
    return sitePowerW(this.site.cooling, this.miners.drawW + this.gpuTruthW() + this.gpuOverheadW());
  }

  // ---- agents: commands ------------------------------------------------------------------

  private apply(hostId: string, commandId: string, devices: Readonly<Record<string, DesiredState>>): void {
    const t = this.now;
    const ids = Object.keys(devices);
    const results: Record<string, { ok: boolean; confirmed: boolean }> = {};
    const asic = this.asicHosts.find((h) => h.id === hostId);
    if (asic) {
      for (const id of ids) {
        const i = this.minerIndex.get(id)!;
        const want = devices[id]!;
        if (want.kind === 'asic') this.applyMiner(i, want.profile, t);
        this.applied[i] = commandId;
        asic.moving.add(i);
        asic.written.set(i, t);
        results[id] = { ok: true, confirmed: false };
      }
      this.c.result({ hostId, commandId, stale: false, devices: results }, this.epoch(t));
      this.sendAsic(asic, ids.map((id) => this.minerIndex.get(id)!));
      this.scheduleReadback(asic);
      return;
    }
    const host = this.gpuHosts.find((h) => h.id === hostId)!;
    const wanted = new Map<string, string[]>();
    for (const id of ids) {
      const want = devices[id]!;
      const g = this.gpuById.get(id)!.gpu;
      if (want.kind !== 'gpu') continue;
      if (g.limitW !== want.powerLimitW) {
        g.emu.setPowerLimit(want.powerLimitW);
        g.limitW = want.powerLimitW;
      }
      this.gpuApplied.set(id, commandId);
      results[id] = { ok: true, confirmed: true };
      if (want.job) wanted.set(want.job.id, [...(wanted.get(want.job.id) ?? []), id]);
    }
    // As the GPU agent does: jobs no longer wanted on a GPU this command speaks for are stopped (no report: the scheduler knows).
    for (const id of ids) {
      const g = this.gpuById.get(id)!.gpu;
      if (g.job !== null && !wanted.has(g.job)) {
        this.endRun(g.job, false);
        this.stopJob(host, g.job);
      }
    }
    for (const [jobId, gpuIds] of wanted) {
      if (host.gpus.some((g) => g.job === jobId)) continue;
      const spec = (devices[gpuIds[0]!] as Extract<DesiredState, { kind: 'gpu' }>).job!;
      for (const gid of gpuIds) {
        const g = this.gpuById.get(gid)!.gpu;
        g.job = jobId;
        g.emu.setBusy(true);
      }
      this.updateRevenueRate();
      this.runs.set(jobId, { at: t, gpus: gpuIds.length });
      const endsAt = t + Math.round(((spec.durationS ?? 0) * 1000) / this.speed);
      this.jobEnds.set(jobId, endsAt);
      this.q.push(endsAt, () => this.jobFinished(host, jobId, endsAt));
    }
    this.c.result({ hostId, commandId, stale: false, devices: results }, this.epoch(t));
    this.sendGpu(host, ids);
  }

  /** A LuxOS write as the ASIC agent makes it: profileset (ATM is off) and a wake-up when asleep; or a curtail to sleep. */
  private applyMiner(i: number, profile: string, t: number): void {
    const ph = this.advance(i, t);
    const before = { target: ph.targetIndex, mode: ph.mode };
    if (profile === 'sleep') {
      if (ph.mode !== 'sleeping') ph.sleep();
    } else {
      const idx = ph.unit.profiles.findIndex((p) => p.name === profile);
      if (idx >= 0 && idx !== ph.targetIndex) ph.setTarget(idx);
      if (ph.mode === 'sleeping') ph.wake(this.site.physics.fastWake);
    }
    // A transition: put to sleep, woken, or moved to another profile while awake (or waking).
    const awake = (m: string) => m !== 'sleeping';
    const changed = awake(before.mode) !== awake(ph.mode) || (awake(ph.mode) && before.target !== ph.targetIndex);
    if (changed && t >= 0) this.transitions++;
  }

  /** A run ends: its GPU-seconds count only when it completed (a preempted run is lost work). */
  private endRun(jobId: string, completed: boolean): void {
    const run = this.runs.get(jobId);
    this.runs.delete(jobId);
    const j = this.jobs.get(jobId);
    if (run && j && completed) j.gpuSeconds += (run.gpus * (this.now - run.at) * this.speed) / 1000;
  }

  private stopJob(host: GpuHostSim, jobId: string): void {
    for (const g of host.gpus) {
      if (g.job !== jobId) continue;
      g.job = null;
      g.emu.setBusy(false);
    }
    this.jobEnds.delete(jobId);
    this.updateRevenueRate();
  }

  private jobFinished(host: GpuHostSim, jobId: string, endsAt: number): void {
    if (this.jobEnds.get(jobId) !== endsAt) return; // stopped (preempted, cancelled) before its end
    this.endRun(jobId, true);
    this.stopJob(host, jobId);
    const tr = this.c.jobEnded(jobId, true, undefined, this.epoch(this.now));
    if (tr) this.onTransition(tr);
    this.request();
  }

  private updateRevenueRate(): void {
    let usdPerS = 0;
    for (const h of this.gpuHosts) {
      for (const g of h.gpus) if (g.job !== null) usdPerS += (this.site.gpuUsdPerHour[this.jobClass.get(g.job) ?? ''] ?? 0) / 3600;
    }
    this.gpuRevenueRate = usdPerS;
  }

  // ---- agents: telemetry -----------------------------------------------------------------

  private scheduleReadback(h: AsicHostSim): void {
    const period = this.site.agents.readbackMs;
    const next = h.phaseMs + Math.ceil((this.now + 1 - h.phaseMs) / period) * period;
    if (h.readbackAt <= next) return;
    h.readbackAt = next;
    this.q.push(next, () => {
      h.readbackAt = Number.POSITIVE_INFINITY;
      const ids: number[] = [];
      for (const [i, at] of h.written) {
        if (this.now - at > SETTLE_WATCH_MS) h.written.delete(i);
        else ids.push(i);
      }
      if (ids.length) this.sendAsic(h, ids);
      if (h.written.size) this.scheduleReadback(h);
    });
  }

  private asicHeartbeat(h: AsicHostSim): void {
    const ids = [...h.moving];
    // Steady miners are sent again now and then when asked to (their readings change only by noise).
    const refreshEvery = Math.max(1, Math.round(this.refreshMs / this.site.agents.telemetryMs));
    const share = this.refreshMs > 0 ? Math.ceil(h.miners.length / refreshEvery) : 0;
    for (let k = 0; k < share; k++) {
      const i = h.miners[h.refreshCursor]!;
      h.refreshCursor = (h.refreshCursor + 1) % h.miners.length;
      if (!h.moving.has(i)) ids.push(i);
    }
    this.sendAsic(h, ids, true);
  }

  /**
   * One telemetry batch from an ASIC agent: readings of `ids` now (a read-back after a write,
   * or the heartbeat with whatever is still moving). One that shows a device reach or leave
   * its target asks for a step now; one that may change a decision otherwise (below) makes
   * the next tick step.
   */
  private sendAsic(h: AsicHostSim, ids: readonly number[], heartbeat = false): void {
    const t = this.now;
    const devices: DeviceReading[] = [];
    for (const i of ids) {
      const ph = this.advance(i, t);
      const settled = (ph.mode === 'mining' && !ph.ramping) || (ph.mode === 'sleeping' && ph.powerW <= ph.unit.sleepW + SLEEP_SETTLED_W);
      // A settled miner is read a little longer: the reading after its target is adopted or
      // confirmed is the one its learned draw comes from (the live agent reads it every second).
      if (settled) {
        const tail = (h.tail.get(i) ?? SETTLED_READINGS) - 1;
        if (tail <= 0) {
          h.moving.delete(i);
          h.tail.delete(i);
        } else h.tail.set(i, tail);
      } else h.tail.delete(i);
      if (settled) h.written.delete(i);
      const tag = this.applied[i];
      devices.push({
        id: this.site.units[i]!.id, reachable: true,
        powerW: this.site.physics.meterNoise ? ph.reportedPowerW() : Math.round(ph.powerW), hashrateThs: Math.round(ph.averageThs['5s'] * 100) / 100,
        profile: ph.target.name, sleeping: ph.mode !== 'mining', waking: ph.mode === 'waking', ramping: ph.ramping,
        ...(tag ? { appliedCommandId: tag } : {}),
      });
    }
    if (!heartbeat && devices.length === 0) return;
    // Readings of miners on their way down (a shed ramping, a miner falling asleep) change no
    // decision by themselves unless something waits for power: a raise held by break before
    // make or a job admitting keeps the loop stepping anyway (`lastActive`), a queued job is
    // checked here. A reading that rose may have put the site over its cap: that makes the next
    // tick step (one that moved a learned draw makes a step when the plan takes it: tick()).
    let rose = devices.length > 0 && this.waitsForPower;
    for (const r of devices) {
      if (rose) break;
      const d = this.c.state.devices.get(r.id);
      const before = d?.reading?.powerW;
      // Above what the miner was counted at: its reading before, or its target's estimate.
      // (Even meter noise above it is news: the worst case counts a settled miner's reading.)
      const counted = before === undefined ? undefined : Math.max(before, d!.desired?.kind === 'asic' ? estimateW(d!, d!.desired.profile) : 0);
      if (counted === undefined || r.powerW! > counted) {
        rose = true;
        break;
      }
    }
    if (this.c.telemetry({ hostId: h.id, hostOverheadW: 0, devices }, this.epoch(t))) this.request();
    else if (rose) this.dirty = true;
  }

  private gpuHeartbeat(h: GpuHostSim): void {
    this.sendGpu(h, h.gpus.map((g) => g.id));
  }

  private sendGpu(h: GpuHostSim, ids: readonly string[]): void {
    const t = this.now;
    let changed = false;
    const devices: DeviceReading[] = ids.map((id) => {
      const g = this.gpuById.get(id)!.gpu;
      const limitW = g.limitW;
      if (limitW !== g.sentLimitW || g.job !== g.sentJob) changed = true;
      g.sentLimitW = limitW;
      g.sentJob = g.job;
      const tag = this.gpuApplied.get(id);
      return { id, reachable: true, powerW: Math.min(g.drawW, limitW), powerLimitW: limitW, jobId: g.job, ...(tag ? { appliedCommandId: tag } : {}) };
    });
    if (this.c.telemetry({ hostId: h.id, hostOverheadW: h.overheadW, devices }, this.epoch(t))) this.request();
    else if (changed) this.dirty = true;
  }

  // ---- physics ---------------------------------------------------------------------------

  private advance(i: number, t: number) {
    return this.miners.advance(i, this.physS(t));
  }

  private gpuTruthW(): number {
    let w = 0;
    for (const h of this.gpuHosts) for (const g of h.gpus) w += g.emu.truth().powerW;
    return w;
  }

  private gpuOverheadW(): number {
    return this.gpuHosts.reduce((s, h) => s + h.overheadW, 0);
  }

  // ---- the record ------------------------------------------------------------------------

  private sample(s: number): void {
    const t = this.now;
    for (const h of this.asicHosts) for (const i of h.moving) this.advance(i, t);
    if (s % 3600 === 0) this.miners.resum();
    let gpuW = 0;
    let limitsW = 0;
    let busy = 0;
    for (const h of this.gpuHosts) {
      for (const g of h.gpus) {
        const truth = g.emu.truth();
        g.drawW = truth.powerW;
        gpuW += truth.powerW;
        limitsW += truth.enforcedLimitW;
        if (g.job !== null) busy++;
      }
    }
    const overheadW = this.gpuOverheadW();
    const itW = this.miners.drawW + gpuW + overheadW;
    const siteW = sitePowerW(this.site.cooling, itW);
    const se = this.series;
    const epoch = this.epoch(t);
    let limitW = this.site.capW;
    for (const g of this.announced) if (g.startsAt <= epoch && epoch < g.endsAt) limitW = Math.min(limitW, g.capW);
    se.limitW[s] = limitW;
    se.marginW[s] = this.site.marginW;
    se.siteW[s] = siteW;
    se.asicW[s] = this.miners.drawW;
    se.gpuW[s] = gpuW;
    se.hostOverheadW[s] = overheadW;
    se.coolingW[s] = siteW - itW;
    se.hashrateThs[s] = this.miners.hashrateThs;
    se.gpuLimitW[s] = limitsW;
    se.minerBudgetW[s] = this.lastPlan?.explanation.minerBudgetW ?? 0;
    se.heldW[s] = this.lastPlan?.heldW ?? 0;
    se.creditW[s] = this.lastPlan?.creditW ?? 0;
    const prices = this.trace.prices;
    while (this.priceIdx + 1 < prices.length && prices[this.priceIdx + 1]!.at <= s) this.priceIdx++;
    if (this.priceIdx >= 0) se.pricePerMWh[s] = prices[this.priceIdx]!.pricePerMWh;
    const hp = this.trace.hashprice;
    while (this.hashIdx + 1 < hp.length && hp[this.hashIdx + 1]!.at <= s) this.hashIdx++;
    if (this.hashIdx >= 0) se.hashprice[s] = hp[this.hashIdx]!.usdPerThDay;
    se.gpuRevenueUsd[s] = this.gpuRevenueRate;
    se.busyGpus[s] = busy;
    let queued = 0;
    for (const j of this.c.state.jobs.values()) if (j.state === 'queued') queued++;
    se.queuedJobs[s] = queued;
  }
}

/** The priority list with the site's zone classes (ASIC classes holding their miners) before the pool's last class. */
function withZones(list: readonly PriorityClass[], zones: readonly PriorityClass[]): PriorityClass[] {
  if (zones.length === 0) return [...list];
  const out = [...list];
  const fill = out.map((c) => c.kind === 'asic' && !c.miners).lastIndexOf(true);
  out.splice(fill < 0 ? out.length : fill, 0, ...zones);
  return out;
}

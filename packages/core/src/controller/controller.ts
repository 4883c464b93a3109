import { priceAt, type EnergyPrice } from '../economics/energy-price.js';
import { StrikeFilter } from '../economics/strike-filter.js';
import { FlooredPlanner, type ZoneFloor } from '../planner/floors.js';
import type { Economics, PlanMiner } from '../planner/planner.js';
import { effectiveCap, itBudgetW, sitePowerW, type CoolingModel } from '../site/site-model.js';
import type {
  ClassExplanation, Desired, DeviceInventoryItem, DeviceOverride, GridCap, Job, JobState, JobTransition, OutgoingCommand,
  PriorityClassSpec, Registration, SiteSample, StepOutput, TelemetryIn,
} from './types.js';

export interface ControllerConfig {
  contractCapW: number;
  marginW: number;
  cooling: CoolingModel;
  /** Planning head-room kept below the budget so that meter noise does not flap miners. */
  hysteresisW: number;
  /** A miner is not raised again within this long of its last change. */
  minDwellMs: number;
  /** Wakes from sleep per step (inrush, hashboard wear). */
  maxWakesPerStep: number;
  /** A host with no telemetry for this long is silent: its devices count at their maximum. */
  silentAfterMs: number;
  /** An unconfirmed desired state is sent again after this long. */
  resendAfterMs: number;
  /** Operators' priority list, highest first (GPU job classes and ASIC classes). */
  priorities: readonly PriorityClassSpec[];
  /** Price intervals a new energy price must hold (beyond a 2 % dead band) before it is used. */
  priceStrikeIntervals: number;
  /** A grid cap known in advance is in force this long before its start (time to shed). */
  preShedMs: number;
}

export const DEFAULT_CONTROLLER_CONFIG: Omit<ControllerConfig, 'contractCapW' | 'marginW' | 'cooling'> = {
  hysteresisW: 0,
  minDwellMs: 10_000,
  maxWakesPerStep: 10,
  silentAfterMs: 2500,
  resendAfterMs: 15_000,
  priorities: [
    { name: 'critical', kind: 'gpu' },
    { name: 'asic-floor', kind: 'asic', minKw: 0 },
    { name: 'standard', kind: 'gpu' },
    { name: 'batch', kind: 'gpu' },
    { name: 'asic-fill', kind: 'asic' },
  ],
  priceStrikeIntervals: 3,
  preShedMs: 30_000,
};

/** Learned draws reach the planner at most this often (see planMiners). */
const BIAS_REPLAN_MS = 30_000;
const FIRST_BIAS_REPLAN_MS = 2_000;

/** Real draw ÷ table estimate assumed for a miner before telemetry has taught us its own. */
const DEFAULT_BIAS = 1.1;
/** A sleeping miner at or below this draw has confirmed its sleep. */
const SLEEP_CONFIRM_W = 100;

interface HostState {
  kind: 'asic' | 'gpu';
  overheadW: number;
  lastSeen: number;
  deviceIds: string[];
}

interface DeviceState {
  hostId: string;
  inv: DeviceInventoryItem;
  reading?: TelemetryIn['devices'][number];
  readingAt: number;
  desired?: Desired;
  sentAt: number;
  changedAt: number;
  confirmed: boolean;
  /** Learned real draw ÷ table estimate (miners). */
  bias: number;
  /** Profile → table draw, and the table's extremes (derived from inv at registration). */
  rowW: Map<string, number>;
  minRowW: number;
  maxRowW: number;
  /** The bias the planner was last built with. */
  plannedBias: number;
}

/** What a registration changes for the planner: the profile table. */
function tableSignature(inv: DeviceInventoryItem): string {
  return inv.kind === 'asic' ? inv.profiles.map((p) => `${p.name}=${p.powerW}`).join(',') : `${inv.minLimitW}-${inv.maxLimitW}`;
}

function rowsOf(inv: DeviceInventoryItem): { rowW: Map<string, number>; minRowW: number; maxRowW: number } {
  if (inv.kind !== 'asic') return { rowW: new Map(), minRowW: inv.minLimitW, maxRowW: inv.maxLimitW };
  const rowW = new Map(inv.profiles.map((p) => [p.name, p.powerW]));
  return { rowW, minRowW: Math.min(...rowW.values()), maxRowW: Math.max(...rowW.values()) };
}

export interface PlanExplanation {
  at: number;
  effectiveCapW: number;
  binding: string;
  itBudgetW: number;
  hostOverheadW: number;
  gpuBudgetW: number;
  minerBudgetW: number;
  plannedMinerW: number;
  plannedHashrateThs: number;
  lpBoundThs: number;
  feasible: boolean;
  /** Energy price used (after strike hysteresis) and hashprice, when the price stop is on. */
  economics: Economics | null;
  profiles: Record<string, number>;
  excludedMiners: string[];
  classes: ClassExplanation[];
  reasons: string[];
}

/**
 * The scheduler's decisions as a pure state machine: fed registrations, telemetry, jobs and
 * settings with the time they happened, it returns commands and job transitions. No I/O and
 * no clock of its own, so tests drive it with a virtual clock and a recording can be
 * replayed. The rules of DESIGN.md live here:
 * - every device is budgeted at its worst case: max(reading, target) until telemetry confirms
 *   the target; a silent host's devices at their maximum; GPUs at their power limit;
 * - break before make: a job goes from admitting to running (its GPUs' limits raised) only
 *   when the worst case with its reservation fits, i.e. after telemetry confirms the sheds;
 *   miners are raised only into confirmed head-room, after a minimum dwell, a few wakes at a
 *   time;
 * - miners fill what is left, planned by the hull-greedy planner on learned draws.
 */
export class Controller {
  readonly config: ControllerConfig;
  private readonly hosts = new Map<string, HostState>();
  private readonly devices = new Map<string, DeviceState>();
  /** Jobs not yet finished (finished ones live in the store only). */
  private readonly jobs = new Map<string, Job>();
  /** GPU → the admitting or running job that holds it. */
  private readonly gpuHolder = new Map<string, Job>();
  private gridCaps: GridCap[] = [];
  private planner: { key: string; planner: FlooredPlanner; builtAt: number } | undefined;
  /** Bumped whenever something the planner is built on changes (see planMiners). */
  private planVersion = 0;
  /**
   * A learned draw moved by 1 % or more since the planner was built: 'first' when a miner's
   * first learned draw is waiting (re-built within 2 s), 'drift' otherwise (within 30 s).
   */
  private biasMoved: false | 'first' | 'drift' = false;
  private classZones: { for: readonly PriorityClassSpec[]; zones: ClassZones } | undefined;
  private zoneDrawsAt: { now: number; value: Map<string, { minW: number; maxW: number }> } | undefined;
  private lastExplanation: PlanExplanation | undefined;
  private energyPrice: EnergyPrice | undefined;
  private hashprice: number | undefined;
  private priceKey: string | undefined;
  private readonly strike: StrikeFilter;
  private readonly overrides = new Map<string, DeviceOverride>();
  /** Why each waiting job waits (for the plan's explanation). */
  private waitReasons = new Map<string, string>();

  constructor(config: ControllerConfig) {
    this.config = { ...config };
    this.strike = new StrikeFilter(config.priceStrikeIntervals ?? 3, 0.02);
  }

  // ---- inputs -------------------------------------------------------------------------

  register(r: Registration, now: number): void {
    const host = this.hosts.get(r.hostId) ?? { kind: r.kind, overheadW: r.hostOverheadW, lastSeen: now, deviceIds: [] };
    host.kind = r.kind;
    host.overheadW = r.hostOverheadW;
    host.deviceIds = r.devices.map((d) => d.id);
    this.hosts.set(r.hostId, host);
    for (const inv of r.devices) {
      const d = this.devices.get(inv.id);
      if (d) {
        // Agents re-register every 30 s: only a changed table or host means re-planning.
        if (d.hostId !== r.hostId || tableSignature(d.inv) !== tableSignature(inv)) this.planVersion++;
        Object.assign(d, { inv, hostId: r.hostId }, rowsOf(inv));
      } else {
        this.devices.set(inv.id, { hostId: r.hostId, inv, readingAt: 0, sentAt: 0, changedAt: 0, confirmed: false, bias: DEFAULT_BIAS, plannedBias: DEFAULT_BIAS, ...rowsOf(inv) });
        this.planVersion++;
      }
    }
  }

  /**
   * Fold in a telemetry batch. Returns true when it changed what a step would decide (a
   * desired state confirmed, a silent host back): the shell runs a step at once then, and
   * otherwise waits for its next tick.
   */
  telemetry(t: TelemetryIn, now: number): boolean {
    const host = this.hosts.get(t.hostId);
    if (!host) return false; // not registered yet: its registration will follow
    let changed = !this.hostLive(t.hostId, now);
    host.lastSeen = now;
    host.overheadW = t.hostOverheadW;
    for (const r of t.devices) {
      const d = this.devices.get(r.id);
      if (!d || d.hostId !== t.hostId) continue;
      // What the planner plans on: reachability, the learned draw (to 1 %), a maintenance draw.
      const before = this.planInputs(d);
      if (r.reachable) {
        d.reading = r;
        d.readingAt = now;
      } else if (d.reading) d.reading = { ...d.reading, reachable: false };
      if (d.desired && !d.confirmed && r.reachable && this.reached(d)) {
        d.confirmed = true;
        changed = true;
      }
      if (d.inv.kind === 'asic' && d.confirmed && r.reachable && d.desired?.kind === 'asic' && d.desired.profile !== 'sleep' && !r.ramping) {
        const profile = d.desired.profile;
        const row = d.inv.profiles.find((p) => p.name === profile);
        if (row && row.powerW > 0) {
          const seen = Math.min(1.25, Math.max(0.8, r.powerW / row.powerW));
          d.bias = d.bias === DEFAULT_BIAS ? seen : 0.7 * d.bias + 0.3 * seen;
        }
      }
      if (d.inv.kind === 'asic' && this.planInputs(d) !== before) this.planVersion++;
      if (d.inv.kind === 'asic' && Math.round(d.bias * 100) !== Math.round(d.plannedBias * 100)) {
        this.biasMoved = d.plannedBias === DEFAULT_BIAS ? 'first' : (this.biasMoved || 'drift');
      }
      // A GPU running a job we lost track of (restart) keeps its job: adopt it.
      if (d.inv.kind === 'gpu' && r.jobId && !d.desired) {
        const job = this.jobs.get(r.jobId);
        if (job && r.powerLimitW) d.desired = { kind: 'gpu', powerLimitW: r.powerLimitW, job: specOf(job) };
        d.confirmed = true;
      }
    }
    return changed;
  }

  /** A new job (or one reloaded after a restart, in whatever state it was). */
  addJob(job: Job): void {
    if (isTerminal(job.state)) return;
    this.jobs.set(job.id, job);
    if (job.state === 'admitting' || job.state === 'running') for (const g of job.gpuIds ?? []) this.gpuHolder.set(g, job);
  }

  cancelJob(id: string, now: number): JobTransition | undefined {
    const job = this.jobs.get(id);
    if (!job || isTerminal(job.state)) return undefined;
    return this.transition(job, 'cancelled', now);
  }

  jobEnded(id: string, ok: boolean, error: string | undefined, now: number): JobTransition | undefined {
    const job = this.jobs.get(id);
    if (!job || isTerminal(job.state)) return undefined;
    if (error) job.error = error;
    return this.transition(job, ok ? 'done' : 'failed', now);
  }

  setContract(contractCapW: number, marginW: number): void {
    this.config.contractCapW = contractCapW;
    this.config.marginW = marginW;
  }

  /** Energy price (constant or intervals); undefined turns the price stop off. */
  setEnergyPrice(price: EnergyPrice | undefined): void {
    this.energyPrice = price;
    // A constant price is an operator's decision: in force at once. Strike hysteresis is for
    // price series (intervals), where the noise is.
    if (price?.kind === 'constant') {
      this.strike.reset();
      this.strike.observe(price.pricePerMWh);
      this.priceKey = `c:${price.setAt}`;
    }
  }

  /** Hashprice, $ per TH/s per day; undefined turns the price stop off. */
  setHashprice(usdPerThDay: number | undefined): void {
    this.hashprice = usdPerThDay;
  }

  /** Raw and strike-filtered energy price in force at `now`. */
  prices(now: number): { rawPricePerMWh: number | undefined; effectivePricePerMWh: number | undefined; hashpricePerThDay: number | undefined } {
    const cur = this.energyPrice ? priceAt(this.energyPrice, now) : undefined;
    return { rawPricePerMWh: cur?.pricePerMWh, effectivePricePerMWh: cur ? this.strike.effective : undefined, hashpricePerThDay: this.hashprice };
  }

  private economics(now: number): Economics | undefined {
    const cur = this.energyPrice ? priceAt(this.energyPrice, now) : undefined;
    if (cur && cur.key !== this.priceKey) {
      this.priceKey = cur.key;
      this.strike.observe(cur.pricePerMWh);
    }
    const effective = this.strike.effective;
    if (!cur || effective === undefined || this.hashprice === undefined) return undefined;
    return { energyPricePerMWh: effective, hashpricePerThDay: this.hashprice };
  }

  setPriorities(list: readonly PriorityClassSpec[]): void {
    this.planVersion++;
    this.config.priorities = [...list];
  }

  /** Operator overrides on a miner; an empty override clears them. */
  setOverride(id: string, o: DeviceOverride): void {
    if (o.pinnedProfile === undefined && !o.maintenance) this.overrides.delete(id);
    else this.overrides.set(id, o);
    this.planVersion++;
  }

  override(id: string): DeviceOverride | undefined {
    return this.overrides.get(id);
  }

  /** Inventory of a device (to validate overrides against its profiles). */
  inventory(id: string): DeviceInventoryItem | undefined {
    return this.devices.get(id)?.inv;
  }

  setGridCaps(caps: readonly GridCap[]): void {
    this.gridCaps = [...caps];
  }

  job(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  // ---- the step -----------------------------------------------------------------------

  step(now: number): StepOutput {
    const transitions: JobTransition[] = [];
    const changed = new Set<string>();
    const { itBudget } = this.budgets(now);
    const overheadW = this.hostOverheadW();

    // 1. Admission: queued jobs by class rank then arrival. A job may take power from the
    //    miners only down to the floors of ASIC classes ranked above it, must leave the
    //    minimum of GPU classes ranked above it free, and must fit its class maximum. A job
    //    that cannot be admitted holds back the ones behind it (strict order).
    this.waitReasons = new Map();
    const queued = [...this.jobs.values()].filter((j) => j.state === 'queued')
      .sort((a, b) => this.priority(a) - this.priority(b) || (a.timestamps.queued ?? 0) - (b.timestamps.queued ?? 0));
    let blocked: string | undefined;
    for (const job of queued) {
      if (blocked) {
        this.waitReasons.set(job.id, `behind ${blocked}`);
        continue;
      }
      const fit = this.findGpus(job, now);
      if (!fit) {
        blocked = job.id;
        this.waitReasons.set(job.id, `no GPU host has ${job.gpus} free GPUs`);
        continue;
      }
      const extra = job.gpus * fit.limitW - fit.gpuIds.reduce((s, id) => s + this.worstW(this.devices.get(id)!, now), 0);
      const why = this.admissionBlock(job, fit.limitW, extra, itBudget, overheadW, now);
      if (why) {
        blocked = job.id;
        this.waitReasons.set(job.id, why);
        continue;
      }
      job.hostId = fit.hostId;
      job.gpuIds = fit.gpuIds;
      job.limitW = fit.limitW;
      transitions.push(this.transition(job, 'admitting', now));
    }

    // 2. Miners fill what the GPUs (with admitting reservations) and overheads leave (ASIC
    // class floors and maximums are held inside the plan, see planMiners).
    const minerBudgetW = itBudget - overheadW - this.gpuBudgetW(now) - this.config.hysteresisW;
    const targets = this.planMiners(minerBudgetW, now, itBudget, overheadW);

    // 3. Worst case now, plus reservations of jobs still admitting.
    let worst = this.worstTotalW(now) + overheadW;

    // 4. Admitting → running once the worst case with the reservation fits (break before make).
    const admitting = [...this.jobs.values()].filter((j) => j.state === 'admitting')
      .sort((a, b) => (a.timestamps.admitting ?? 0) - (b.timestamps.admitting ?? 0));
    let pendingExtra = 0;
    for (const job of admitting) {
      const gpus = job.gpuIds!.map((id) => this.devices.get(id)!);
      const extra = gpus.reduce((s, d) => s + Math.max(0, job.limitW! - this.worstW(d, now)), 0);
      if (worst + pendingExtra + extra <= itBudget && gpus.every((d) => this.hostLive(d.hostId, now))) {
        for (const d of gpus) this.setDesired(d, { kind: 'gpu', powerLimitW: job.limitW!, job: specOf(job) }, now, changed);
        worst += extra;
        transitions.push(this.transition(job, 'running', now));
      } else pendingExtra += extra;
    }

    // 5. Idle GPUs go to their lowest limit (a shed: immediate).
    for (const d of this.devices.values()) {
      if (d.inv.kind !== 'gpu' || !this.hostLive(d.hostId, now)) continue;
      if (this.holder(d.inv.id)) continue;
      const want: Desired = { kind: 'gpu', powerLimitW: d.inv.minLimitW, job: null };
      if (!sameDesired(d.desired, want) && (d.desired !== undefined || (d.reading?.powerLimitW ?? d.inv.maxLimitW) !== d.inv.minLimitW || d.reading?.jobId)) {
        this.setDesired(d, want, now, changed);
      }
    }

    // 6. Miners: sheds at once; raises into confirmed head-room, after dwell, a few wakes at a time.
    let wakes = 0;
    for (const [id, profile] of targets) {
      const d = this.devices.get(id)!;
      if (d.inv.kind !== 'asic') continue;
      const current = d.desired?.kind === 'asic' ? d.desired.profile : d.reading?.sleeping ? 'sleep' : d.reading?.profile;
      if (current === profile) continue;
      const targetW = this.estimateW(d, profile);
      const currentW = current !== undefined ? this.estimateW(d, current) : Number.POSITIVE_INFINITY;
      if (targetW <= currentW) {
        this.setDesired(d, { kind: 'asic', profile }, now, changed);
        continue;
      }
      if (now - d.changedAt < this.config.minDwellMs && d.changedAt > 0) continue;
      const waking = current === 'sleep';
      if (waking && wakes >= this.config.maxWakesPerStep) continue;
      const add = targetW - this.worstW(d, now);
      if (worst + pendingExtra + add > itBudget) continue;
      worst += Math.max(0, add);
      if (waking) wakes++;
      this.setDesired(d, { kind: 'asic', profile }, now, changed);
    }

    // 7. Unconfirmed states are sent again after a while (desired state: harmless).
    for (const [id, d] of this.devices) {
      if (d.desired && !d.confirmed && now - d.sentAt >= this.config.resendAfterMs && this.hostLive(d.hostId, now) && !this.overrides.get(id)?.maintenance) {
        d.sentAt = now;
        changed.add(id);
      }
    }
    return { commands: this.commandsFor(changed), jobTransitions: transitions };
  }

  /**
   * What the miners should run under a cap `capW` (an upcoming grid event), with today's GPU
   * reservations: the plan agents are armed with. Miners on silent hosts or in maintenance
   * are left out.
   */
  planForCap(capW: number, now: number): Map<string, { hostId: string; profile: string }> {
    const cap = Math.max(0, Math.min(this.config.contractCapW, capW) - this.config.marginW);
    const budget = itBudgetW(this.config.cooling, cap) - this.hostOverheadW() - this.gpuBudgetW(now) - this.config.hysteresisW;
    const saved = this.lastExplanation;
    const targets = this.planMiners(budget, now, itBudgetW(this.config.cooling, cap), this.hostOverheadW());
    this.lastExplanation = saved; // a what-if: the plan in force is unchanged
    const out = new Map<string, { hostId: string; profile: string }>();
    for (const [id, profile] of targets) out.set(id, { hostId: this.devices.get(id)!.hostId, profile });
    return out;
  }

  /** Upcoming mandatory grid events (not yet started). */
  upcomingMandatory(now: number): GridCap[] {
    return this.gridCaps.filter((g) => g.mandatory !== false && g.startsAt > now);
  }

  // ---- read models --------------------------------------------------------------------

  sample(now: number): SiteSample {
    const { cap } = this.budgets(now, false);
    let asicW = 0;
    let gpuW = 0;
    let hashrateThs = 0;
    for (const d of this.devices.values()) {
      const p = d.reading?.powerW ?? 0;
      if (d.inv.kind === 'asic') {
        asicW += p;
        hashrateThs += d.reading?.hashrateThs ?? 0;
      } else gpuW += p;
    }
    const hostW = this.hostOverheadW();
    const siteW = sitePowerW(this.config.cooling, asicW + gpuW + hostW);
    const jobs = { queued: 0, admitting: 0, running: 0 };
    for (const j of this.jobs.values()) if (j.state in jobs) jobs[j.state as keyof typeof jobs]++;
    return {
      at: now,
      effectiveCapW: cap.effectiveCapW,
      contractCapW: this.config.contractCapW,
      marginW: this.config.marginW,
      siteW,
      asicW,
      gpuW,
      overheadW: siteW - asicW - gpuW,
      worstCaseSiteW: sitePowerW(this.config.cooling, this.worstTotalW(now) + hostW),
      hashrateThs,
      silentHosts: [...this.hosts.entries()].filter(([id]) => !this.hostLive(id, now)).map(([id]) => id),
      jobs,
    };
  }

  explain(): PlanExplanation | undefined {
    return this.lastExplanation;
  }

  hostStates(now: number) {
    return [...this.hosts.entries()].map(([hostId, h]) => ({
      hostId, kind: h.kind, devices: h.deviceIds.length, lastSeen: h.lastSeen, silent: !this.hostLive(hostId, now), overheadW: h.overheadW,
    }));
  }

  deviceStates(now: number) {
    return [...this.devices.entries()].map(([id, d]) => ({
      id, hostId: d.hostId, kind: d.inv.kind, model: d.inv.model, reading: d.reading ?? null, readingAt: d.readingAt || null,
      desired: d.desired ?? null, confirmed: d.confirmed, budgetW: Math.round(this.worstW(d, now) * 10) / 10,
      override: this.overrides.get(id) ?? null,
      ...(d.inv.kind === 'asic' ? { bias: Math.round(d.bias * 1000) / 1000 } : {}),
    }));
  }

  // ---- internals ----------------------------------------------------------------------

  /**
   * Caps in force at `now`. An event is planned ahead: its cap holds from `preShedMs` before
   * its start, reached by a linear ramp over `rampMs` before that (from the contract).
   */
  private activeCaps(now: number, planning: boolean): number[] {
    const out: number[] = [];
    for (const g of this.gridCaps) {
      if (now >= g.endsAt) continue;
      if (!planning) {
        // The obligation itself: the event's level from its start.
        if (now >= g.startsAt) out.push(g.capW);
        continue;
      }
      const full = g.startsAt - this.config.preShedMs;
      const rampStart = full - (g.rampMs ?? 0);
      if (now >= full) out.push(g.capW);
      else if (now > rampStart) {
        const f = (now - rampStart) / (full - rampStart);
        out.push(this.config.contractCapW - f * (this.config.contractCapW - g.capW));
      }
    }
    return out;
  }

  /** The cap the site plans to (`planning`: with events ahead), or the one it must keep. */
  private budgets(now: number, planning = true) {
    const active = this.activeCaps(now, planning);
    const cap = effectiveCap({ contractCapW: this.config.contractCapW, safetyMarginW: this.config.marginW, cooling: this.config.cooling, zones: [] }, active);
    return { cap, itBudget: itBudgetW(this.config.cooling, cap.effectiveCapW) };
  }

  private planMiners(minerBudgetW: number, now: number, itBudget: number, overheadW: number): Map<string, string> {
    // The planner is rebuilt only when what it plans on changes: inventory, which miners are
    // live, a learned draw (to 1 %), overrides, priorities (planVersion counts those changes;
    // host liveness depends on the clock, so it is part of the key). Otherwise a new budget
    // is a re-solve.
    const excluded: string[] = [];
    for (const [id, d] of this.devices) {
      if (d.inv.kind !== 'asic') continue;
      const live = this.hostLive(d.hostId, now) && d.reading?.reachable !== false;
      if (!live || this.overrides.get(id)?.maintenance) excluded.push(id);
    }
    const zones = this.zones();
    let liveHosts = '';
    for (const [hostId] of this.hosts) liveHosts += this.hostLive(hostId, now) ? '1' : '0';
    const key = `${this.planVersion}:${liveHosts}`;
    // Learned draws drift with every reading; following each 1 % step would rebuild a large
    // fleet's planner (hundreds of ms with every table distinct) many times a minute. They are
    // taken up at most every 30 s: the cap itself is guarded by the measured draw, not the plan.
    const stale = this.biasMoved && now - (this.planner?.builtAt ?? 0) >= (this.biasMoved === 'first' ? FIRST_BIAS_REPLAN_MS : BIAS_REPLAN_MS);
    if (!this.planner || this.planner.key !== key || stale) {
      const miners: PlanMiner[] = [];
      const out = new Set(excluded);
      for (const [id, d] of this.devices) {
        if (d.inv.kind !== 'asic') continue;
        const o = this.overrides.get(id);
        if (out.has(id)) {
          // Silent or unreachable: its maximum. In maintenance and reporting: what it draws.
          const live = this.hostLive(d.hostId, now) && d.reading?.reachable !== false;
          miners.push({ id, profiles: d.inv.profiles, excludedW: live && o?.maintenance ? Math.ceil(d.reading!.powerW / 50) * 50 : this.maxW(d), zone: zones.of.get(id) ?? '' });
        } else {
          d.plannedBias = d.bias;
          const bias = Math.round(d.bias * 100) / 100;
          const profiles = d.inv.profiles.map((p) => (p.name === 'sleep' ? p : { ...p, powerW: p.powerW * bias }));
          const pinned = o?.pinnedProfile && profiles.some((p) => p.name === o.pinnedProfile) ? o.pinnedProfile : undefined;
          miners.push({ id, profiles, zone: zones.of.get(id) ?? '', ...(pinned ? { pinnedProfile: pinned } : {}) });
        }
      }
      this.planner = { key, planner: new FlooredPlanner(miners), builtAt: now };
      this.biasMoved = false;
    }
    const economics = this.economics(now);
    const result = this.planner.planner.solve({
      budgetW: Math.max(0, minerBudgetW), zoneBudgetW: zones.maxW, floors: zones.floors, ...(economics ? { economics } : {}),
    });
    const profiles: Record<string, number> = {};
    for (const p of result.assignments.values()) profiles[p] = (profiles[p] ?? 0) + 1;
    const reasons = [
      `effective cap ${(this.budgets(now).cap.effectiveCapW / 1000).toFixed(1)} kW (${this.budgets(now).cap.binding}), IT budget ${(itBudget / 1000).toFixed(1)} kW after cooling`,
      `GPUs budgeted at their limits: ${(this.gpuBudgetW(now) / 1000).toFixed(1)} kW; host overhead ${(overheadW / 1000).toFixed(1)} kW`,
      `miners get the rest less ${(this.config.hysteresisW / 1000).toFixed(1)} kW head-room: ${(minerBudgetW / 1000).toFixed(1)} kW`,
      ...(result.feasible ? [] : [`infeasible: even with every miner at its lowest profile the budget is ${(result.deficitW / 1000).toFixed(1)} kW short`]),
      ...(excluded.length ? [`${excluded.length} miner(s) on silent hosts or unreachable, budgeted at their maximum`] : []),
      ...(result.heldFloors.length ? [`ASIC floors held (planned first, the rest around them): ${result.heldFloors.map((z) => z || 'pool').join(', ')}`] : []),
      ...(economics ? [`price stop: energy ${economics.energyPricePerMWh} $/MWh (after strike hysteresis), hashprice ${economics.hashpricePerThDay} $/TH/day: ${result.stepsBelowBreakeven} miner profile steps not worth their energy`] : []),
    ];
    this.lastExplanation = {
      at: now, effectiveCapW: this.budgets(now).cap.effectiveCapW, binding: this.budgets(now).cap.binding, itBudgetW: itBudget,
      hostOverheadW: overheadW, gpuBudgetW: this.gpuBudgetW(now), minerBudgetW, plannedMinerW: result.powerW,
      plannedHashrateThs: result.hashrateThs, lpBoundThs: result.lpBoundThs, feasible: result.feasible, economics: economics ?? null, profiles, excludedMiners: excluded,
      classes: this.explainClasses(result.zoneW, result.heldFloors), reasons,
    };
    return result.assignments;
  }

  /** Budget of a device right now (DESIGN rule 1). */
  private worstW(d: DeviceState, now: number): number {
    if (!this.hostLive(d.hostId, now) || !d.reading || !d.reading.reachable) return this.maxW(d);
    if (d.inv.kind === 'gpu') {
      const limit = d.reading.powerLimitW ?? d.inv.maxLimitW;
      const want = d.desired?.kind === 'gpu' && !d.confirmed ? d.desired.powerLimitW : 0;
      return Math.max(limit, want, d.reading.powerW);
    }
    const cur = d.reading.powerW;
    if (d.desired?.kind === 'asic' && !d.confirmed) return Math.max(cur, this.estimateW(d, d.desired.profile));
    return cur;
  }

  private worstTotalW(now: number): number {
    let w = 0;
    for (const d of this.devices.values()) w += this.worstW(d, now);
    return w;
  }

  private maxW(d: DeviceState): number {
    if (d.inv.kind === 'gpu') return d.inv.maxLimitW;
    return d.maxRowW * 1.1;
  }

  /** A miner's planner inputs in one comparable string (telemetry bumps planVersion when it changes). */
  private planInputs(d: DeviceState): string {
    const reachable = d.reading?.reachable !== false;
    // A miner in maintenance is planned at its measured draw, to 50 W: following every watt
    // would rebuild the planner on each reading (the cap itself is held on the readings).
    return this.overrides.get(d.inv.id)?.maintenance ? `m${Math.round((d.reading?.powerW ?? 0) / 50)}:${reachable}` : `${reachable}`;
  }

  private estimateW(d: DeviceState, profile: string): number {
    if (d.inv.kind !== 'asic') return 0;
    if (profile === 'sleep') return d.inv.sleepW;
    const row = d.rowW.get(profile);
    return row !== undefined ? row * d.bias : this.maxW(d);
  }

  /** GPU power budget: reserved GPUs at their job limit, the rest at their worst case. */
  private gpuBudgetW(now: number): number {
    let w = 0;
    for (const d of this.devices.values()) {
      if (d.inv.kind !== 'gpu') continue;
      const job = this.holder(d.inv.id);
      w += job ? Math.max(job.limitW ?? d.inv.maxLimitW, this.worstW(d, now)) : this.worstW(d, now);
    }
    return w;
  }

  /**
   * Per planner zone (an ASIC class that lists its miners, or '' for the pool of the rest):
   * the draw with every miner at its lowest option and at its highest. Miners that cannot be
   * controlled count at their budget in both.
   */
  private zoneDraws(now: number): Map<string, { minW: number; maxW: number }> {
    // Asked once per queued job in a step: computed once per step.
    if (this.zoneDrawsAt?.now === now) return this.zoneDrawsAt.value;
    const of = this.zones().of;
    const out = new Map<string, { minW: number; maxW: number }>();
    for (const d of this.devices.values()) {
      if (d.inv.kind !== 'asic') continue;
      const z = of.get(d.inv.id) ?? '';
      const e = out.get(z) ?? { minW: 0, maxW: 0 };
      const live = this.hostLive(d.hostId, now) && d.reading?.reachable !== false;
      e.minW += live ? d.minRowW : this.maxW(d);
      e.maxW += this.maxW(d);
      out.set(z, e);
    }
    this.zoneDrawsAt = { now, value: out };
    return out;
  }

  /** How the priority list maps onto planner zones (recomputed when the list changes). */
  private zones(): ClassZones {
    const list = this.config.priorities;
    if (this.classZones?.for !== list) this.classZones = { for: list, zones: classZones(list) };
    return this.classZones.zones;
  }

  private hostOverheadW(): number {
    let w = 0;
    for (const h of this.hosts.values()) w += h.overheadW;
    return w;
  }

  private hostLive(hostId: string, now: number): boolean {
    const h = this.hosts.get(hostId);
    return h !== undefined && now - h.lastSeen <= this.config.silentAfterMs;
  }

  private holder(gpuId: string): Job | undefined {
    return this.gpuHolder.get(gpuId);
  }

  private findGpus(job: Job, now: number): { hostId: string; gpuIds: string[]; limitW: number } | undefined {
    for (const [hostId, h] of this.hosts) {
      if (h.kind !== 'gpu' || !this.hostLive(hostId, now)) continue;
      const free = h.deviceIds.filter((id) => {
        const d = this.devices.get(id);
        return d && d.inv.kind === 'gpu' && d.reading?.reachable && !this.holder(id);
      });
      if (free.length < job.gpus) continue;
      const gpuIds = free.slice(0, job.gpus);
      const inv = this.devices.get(gpuIds[0]!)!.inv as Extract<DeviceInventoryItem, { kind: 'gpu' }>;
      const limitW = Math.min(inv.maxLimitW, Math.max(inv.minLimitW, job.powerLimitW ?? inv.maxLimitW));
      return { hostId, gpuIds, limitW };
    }
    return undefined;
  }

  private priority(job: Job): number {
    const rank = this.config.priorities.findIndex((c) => c.name === job.class && c.kind === 'gpu');
    return rank < 0 ? this.config.priorities.length : rank;
  }

  /** Why `job` cannot be admitted now, or undefined when it can. */
  private admissionBlock(job: Job, limitW: number, extra: number, itBudget: number, overheadW: number, now: number): string | undefined {
    const rank = this.priority(job);
    const above = this.config.priorities.slice(0, rank);
    // The job may take the miners down to their lowest draw, except that ASIC classes ranked
    // above it keep their floors (each over its own miners, or the pool's).
    const floorAbove = classZones(above.filter((c) => c.kind === 'asic'));
    let minersW = 0;
    let floorExtraW = 0;
    for (const [zone, d] of this.zoneDraws(now)) {
      const floor = floorAbove.floors.find((f) => f.zone === zone);
      const extra = floor ? Math.max(0, Math.min(floor.minW, d.maxW) - d.minW) : 0;
      minersW += d.minW + extra;
      floorExtraW += extra;
    }
    let keptFreeW = 0;
    for (const c of above) {
      if (c.kind === 'gpu' && c.minKw !== undefined) keptFreeW += Math.max(0, c.minKw * 1000 - this.classReservationW(c.name));
    }
    const cls = this.config.priorities[rank];
    if (cls?.maxKw !== undefined && this.classReservationW(cls.name) + job.gpus * limitW > cls.maxKw * 1000) {
      return `class ${cls.name} is at its maximum of ${cls.maxKw} kW`;
    }
    if (minersW + keptFreeW + this.gpuBudgetW(now) + overheadW + extra > itBudget) {
      const totalKw = (floorAbove.floors.reduce((sum, f) => sum + f.minW, 0) / 1000).toFixed(1);
      const parts = floorAbove.floors.map((f) => `${f.zone || 'unlisted miners'} ${(f.minW / 1000).toFixed(1)} kW`).join(', ');
      return floorExtraW > 0
        ? `would take the miners below the ${totalKw} kW floor of higher classes (${parts})`
        : keptFreeW > 0 ? `would use the ${(keptFreeW / 1000).toFixed(1)} kW kept free for higher GPU classes` : 'does not fit even with every miner at its lowest profile';
    }
    return undefined;
  }

  /** Power reserved by admitting and running jobs of a class. */
  private classReservationW(name: string): number {
    let w = 0;
    for (const j of this.jobs.values()) {
      if (j.class === name && (j.state === 'admitting' || j.state === 'running')) w += j.gpus * (j.limitW ?? 0);
    }
    return w;
  }

  private explainClasses(zoneW: ReadonlyMap<string, number>, heldFloors: readonly string[]): ClassExplanation[] {
    const pool = this.config.priorities.filter((c) => c.kind === 'asic' && !c.miners);
    return this.config.priorities.map((c, rank) => {
      const waiting = [...this.jobs.values()].filter((j) => j.state === 'queued' && j.class === c.name);
      let kw: number;
      let why: string;
      if (c.kind === 'gpu') {
        kw = this.classReservationW(c.name) / 1000;
        why = waiting.length
          ? `${waiting.length} job(s) waiting: ${this.waitReasons.get(waiting[0]!.id) ?? 'next step'}`
          : 'every job of this class admitted';
      } else if (c.miners) {
        kw = (zoneW.get(c.name) ?? 0) / 1000;
        const floor = c.minKw ? `floor of ${c.minKw} kW over its ${c.miners.length} miners ${heldFloors.includes(c.name) ? 'held: planned before every lower class' : 'met by the plan as it is'}` : `its ${c.miners.length} miners fill what the classes above leave`;
        why = c.maxKw !== undefined ? `${floor}; at most ${c.maxKw} kW` : floor;
      } else {
        // Classes without a miner list share the pool: floors first, in order, the rest to the last.
        const poolKw = (zoneW.get('') ?? 0) / 1000;
        const before = pool.slice(0, pool.indexOf(c)).reduce((sum, x) => sum + (x.minKw ?? 0), 0);
        const remaining = Math.max(0, poolKw - before);
        kw = c === pool.at(-1) ? remaining : Math.min(remaining, c.minKw ?? remaining);
        why = c.minKw
          ? `floor of ${c.minKw} kW over the miners no class lists, ${heldFloors.includes('') ? 'held: planned before every lower class' : 'met by the plan as it is'}`
          : 'the miners no class lists fill whatever the classes above leave';
      }
      return { name: c.name, kind: c.kind, rank, kw: Math.round(kw * 10) / 10, minKw: c.minKw ?? null, maxKw: c.maxKw ?? null, waitingJobs: waiting.length, why };
    });
  }

  private reached(d: DeviceState): boolean {
    const r = d.reading!;
    const want = d.desired!;
    if (want.kind === 'gpu') return r.powerLimitW === want.powerLimitW;
    if (want.profile === 'sleep') return r.sleeping === true && r.powerW <= SLEEP_CONFIRM_W;
    return r.profile === want.profile && r.ramping !== true && r.sleeping !== true;
  }

  private setDesired(d: DeviceState, want: Desired, now: number, changed: Set<string>): void {
    if (sameDesired(d.desired, want)) return;
    d.desired = want;
    d.confirmed = d.reading?.reachable === true && this.reached(d);
    d.sentAt = now;
    d.changedAt = now;
    changed.add(d.inv.id);
  }

  /**
   * One command per host per step, carrying the complete desired state (absolute targets,
   * never deltas) of each of its devices whose target changed or is being re-sent. Devices
   * not named keep their last target, so replaying any command is harmless and commands stay
   * small when one miner of hundreds moves.
   */
  private commandsFor(changed: Set<string>): OutgoingCommand[] {
    const byHost = new Map<string, Record<string, Desired>>();
    for (const id of changed) {
      const d = this.devices.get(id)!;
      if (!d.desired) continue;
      const devices = byHost.get(d.hostId) ?? {};
      devices[id] = d.desired;
      byHost.set(d.hostId, devices);
    }
    return [...byHost].map(([hostId, devices]) => ({ hostId, devices }));
  }

  private transition(job: Job, to: JobState, now: number): JobTransition {
    const from = job.state;
    job.state = to;
    job.timestamps[to] = now;
    if (to === 'admitting') for (const g of job.gpuIds ?? []) this.gpuHolder.set(g, job);
    if (isTerminal(to)) {
      // Released: the next step idles its GPUs (a shed); miners rise later.
      for (const g of job.gpuIds ?? []) if (this.gpuHolder.get(g) === job) this.gpuHolder.delete(g);
      this.jobs.delete(job.id);
    }
    return { job, from, to, at: now };
  }
}

function isTerminal(s: JobState): boolean {
  return s === 'done' || s === 'failed' || s === 'cancelled';
}

function specOf(job: Job): NonNullable<Extract<Desired, { kind: 'gpu' }>['job']> {
  return { id: job.id, ...(job.durationS !== undefined ? { durationS: job.durationS } : {}), ...(job.workload ? { workload: job.workload } : {}) };
}

function sameDesired(a: Desired | undefined, b: Desired): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === 'asic' && b.kind === 'asic') return a.profile === b.profile;
  if (a.kind === 'gpu' && b.kind === 'gpu') return a.powerLimitW === b.powerLimitW && (a.job?.id ?? null) === (b.job?.id ?? null);
  return false;
}

/** The priority list as planner zones: which miners each class lists, floors in rank order, maximums. */
interface ClassZones {
  /** Miner id → its class's zone (miners no class lists are in the pool, zone ''). */
  readonly of: ReadonlyMap<string, string>;
  readonly floors: ZoneFloor[];
  readonly maxW: Record<string, number>;
}

function classZones(list: readonly PriorityClassSpec[]): ClassZones {
  const asic = list.filter((c) => c.kind === 'asic');
  const of = new Map<string, string>();
  for (const c of asic) for (const id of c.miners ?? []) if (!of.has(id)) of.set(id, c.name);
  const floors: ZoneFloor[] = [];
  const pool = asic.filter((c) => !c.miners);
  const poolFloorW = pool.reduce((sum, c) => sum + (c.minKw ?? 0) * 1000, 0);
  let poolPlaced = false;
  for (const c of asic) {
    if (c.miners && c.minKw) floors.push({ zone: c.name, minW: c.minKw * 1000 });
    // The pool's floors add up, held at the rank of its first floor.
    if (!c.miners && c.minKw && !poolPlaced) {
      floors.push({ zone: '', minW: poolFloorW });
      poolPlaced = true;
    }
  }
  const maxW: Record<string, number> = {};
  for (const c of asic) if (c.miners && c.maxKw !== undefined) maxW[c.name] = c.maxKw * 1000;
  if (pool.length && pool.every((c) => c.maxKw !== undefined)) maxW[''] = pool.reduce((sum, c) => sum + c.maxKw! * 1000, 0);
  return { of, floors, maxW };
}

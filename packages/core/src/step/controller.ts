import type {
  ContractRecord, DeviceOverride, DeviceView, EnergyPriceRecord, GridEventRecord, HostView, JobRecord, PlanExplanation, PriorityClass,
  Registration, ResultMessage, SiteSample, TelemetryBatch,
} from '@wattbroker/contracts';
import { jobRefusal } from '../admission/feasibility.js';
import { observePrice, pricesView, setEnergyPrice, setHashprice } from '../economics/prices.js';
import { addJob, cancelJob, endJob, type JobTransition } from '../jobs/job-machine.js';
import { observeGpuDraws } from '../policy/gpu-draw-credit.js';
import { makePolicy, type Policy } from '../policy/policy.js';
import { deviceViews, hostViews, siteSample } from '../read-models/site.js';
import type { CoolingModel } from '../site/site-model.js';
import { deriveSnapshot, type Snapshot } from '../snapshot/snapshot.js';
import { register } from '../state/registration.js';
import { setContract, setGridEvents, setOverride, setPriorities } from '../state/settings.js';
import { createSiteState, type SiteState } from '../state/site-state.js';
import { drawsDueAt, takeLearnedDraws } from '../state/learned-draws.js';
import { foldMeter } from '../state/meter.js';
import { foldResult, foldTelemetry } from '../state/telemetry.js';
import { commitPlan } from './commit.js';
import { PlannerMemo } from './plan-miners.js';
import { plan, type OutgoingCommand, type Plan } from './plan.js';

/** A device's standing changed between two steps (for logs, metrics and tests). */
export interface DeviceEvent {
  readonly id: string;
  readonly hostId: string;
  readonly to: 'off-target' | 'disobedient' | 'on-target';
  readonly reason?: string;
}

export interface StepOutput {
  readonly commands: readonly OutgoingCommand[];
  readonly jobTransitions: readonly JobTransition[];
  readonly deviceEvents: readonly DeviceEvent[];
  readonly plan: Plan;
}

/**
 * The control core behind one small facade: it holds the site state and the planner cache,
 * runs the reducers on what arrives, and each step runs observe → snapshot → plan → commit.
 * Every decision is in the pure functions it calls; this class only sequences them, so the
 * scheduler, the tests and a backtest drive exactly the same core with their own clocks.
 */
export class Controller {
  private site: SiteState;
  readonly policy: Policy;
  private memo = new PlannerMemo();
  private last: Plan | undefined;
  private offTarget = new Map<string, 'off-target' | 'disobedient'>();

  constructor(init: { contract: ContractRecord; cooling: CoolingModel; policy?: Parameters<typeof makePolicy>[0]; priorities?: readonly PriorityClass[] }) {
    this.site = createSiteState(init);
    this.policy = makePolicy(init.policy);
  }

  get state(): SiteState {
    return this.site;
  }

  /** Forget everything (a scheduler taking over reloads the site from the store). */
  reset(): void {
    this.site = createSiteState({ contract: this.site.contract, cooling: this.site.cooling });
    this.memo = new PlannerMemo();
    this.last = undefined;
    this.offTarget = new Map();
  }

  // ---- what arrives -------------------------------------------------------------------

  register(r: Registration, now: number): void {
    register(this.state, r, now);
  }

  /** True when a step should run now rather than at the next tick. */
  telemetry(t: Pick<TelemetryBatch, 'hostId' | 'hostOverheadW' | 'devices'>, now: number): boolean {
    observeGpuDraws(this.state, t.devices, now, this.policy.gpuDraw);
    return foldTelemetry(this.state, t, now, this.policy.silentAfterMs);
  }

  result(msg: Pick<ResultMessage, 'hostId' | 'commandId' | 'devices' | 'stale'>, now: number): void {
    foldResult(this.state, msg, now);
  }

  /** A site meter reading at the point of connection. */
  meter(reading: { powerW: number; at: number }): void {
    foldMeter(this.state, reading);
  }

  addJob(job: JobRecord): void {
    addJob(this.state, job);
  }

  /** Why a job can never run here (the API refuses it), or undefined. */
  refusal(job: Pick<JobRecord, 'class' | 'gpus' | 'powerLimitW'>) {
    return jobRefusal(this.state, job);
  }

  cancelJob(id: string, now: number): JobTransition | undefined {
    return cancelJob(this.state, id, now);
  }

  jobEnded(id: string, ok: boolean, error: string | undefined, now: number): JobTransition | undefined {
    return endJob(this.state, id, ok, error, now);
  }

  setContract(c: ContractRecord): void {
    setContract(this.state, c);
  }

  setPriorities(list: readonly PriorityClass[]): void {
    setPriorities(this.state, list);
  }

  setOverride(id: string, o: DeviceOverride): void {
    setOverride(this.state, id, o);
  }

  setGridEvents(events: readonly GridEventRecord[]): void {
    setGridEvents(this.state, events);
  }

  setEnergyPrice(p: EnergyPriceRecord | undefined): void {
    setEnergyPrice(this.state, p);
  }

  setHashprice(usdPerThDay: number | undefined): void {
    setHashprice(this.state, usdPerThDay);
  }

  // ---- the step -----------------------------------------------------------------------

  step(now: number): StepOutput {
    observePrice(this.state, this.policy, now);
    takeLearnedDraws(this.state, now);
    const snap = deriveSnapshot(this.state, this.policy, now);
    const p = plan(snap, this.state, this.policy, this.memo);
    const jobTransitions = commitPlan(this.state, p, now);
    this.last = p;
    return { commands: p.commands, jobTransitions, deviceEvents: this.deviceEvents(p), plan: p };
  }

  /** When a step will next take learned draws into the plan (undefined: none waiting; state/learned-draws.ts). */
  learnedDrawsDueAt(): number | undefined {
    return drawsDueAt(this.state);
  }

  /**
   * What the miners would run under a lower cap `capW` (an upcoming grid event) with today's
   * GPU reservations: the same pure plan on a what-if snapshot. Changes nothing.
   */
  whatIf(capW: number, now: number, opts: { gpusAtMax?: boolean } = {}): Map<string, { hostId: string; profile: string }> {
    const snap = deriveSnapshot(this.state, this.policy, now, { capW, ...opts });
    const p = plan(snap, this.state, this.policy, this.memo);
    const out = new Map<string, { hostId: string; profile: string }>();
    for (const [id, profile] of p.minerTargets) out.set(id, { hostId: this.state.devices.get(id)!.hostId, profile });
    return out;
  }

  private deviceEvents(p: Plan): DeviceEvent[] {
    const events: DeviceEvent[] = [];
    const now = new Map(p.offTarget.map((o) => [o.id, o]));
    for (const [id, o] of now) {
      if (this.offTarget.get(id) !== o.status) events.push({ id, hostId: this.state.devices.get(id)?.hostId ?? '', to: o.status, reason: o.reason });
    }
    for (const id of this.offTarget.keys()) if (!now.has(id)) events.push({ id, hostId: this.state.devices.get(id)?.hostId ?? '', to: 'on-target' });
    this.offTarget = new Map([...now].map(([id, o]) => [id, o.status]));
    return events;
  }

  // ---- read models --------------------------------------------------------------------

  snapshot(now: number): Snapshot {
    return deriveSnapshot(this.state, this.policy, now);
  }

  sample(now: number): SiteSample {
    return siteSample(this.state, this.snapshot(now));
  }

  explain(): PlanExplanation | undefined {
    return this.last?.explanation;
  }

  /** Why a queued job waits, from the latest step. */
  waitReason(jobId: string): string | undefined {
    return this.last?.waiting.get(jobId)?.reason;
  }

  hostViews(now: number): HostView[] {
    return hostViews(this.state, this.snapshot(now));
  }

  deviceViews(now: number, only?: string): DeviceView[] {
    return deviceViews(this.state, this.snapshot(now), this.policy, only);
  }

  prices(now: number) {
    return pricesView(this.state, now);
  }

  job(id: string): JobRecord | undefined {
    return this.state.jobs.get(id);
  }

  /** Upcoming mandatory grid events (not yet started). */
  upcomingMandatory(now: number): GridEventRecord[] {
    return this.state.gridEvents.filter((g) => g.mandatory !== false && g.startsAt > now);
  }
}

import type { ClassExplanation, PlanExplanation } from '@wattbroker/contracts';
import type { AdmissionResult } from '../admission/backfill.js';
import { classReservationW } from '../admission/headroom.js';
import type { Policy } from '../policy/policy.js';
import type { Reconciliation } from '../reconcile/reconcile.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { SiteState } from '../state/site-state.js';
import type { MinerPlan } from '../step/plan-miners.js';

const kw = (w: number) => (w / 1000).toFixed(1);

export interface ExplainInput {
  readonly snap: Snapshot;
  readonly state: SiteState;
  readonly policy: Policy;
  readonly gpuBudgetW: number;
  readonly minerBudgetW: number;
  readonly excessW: number;
  readonly miners: MinerPlan;
  readonly admission: AdmissionResult;
  readonly reconciliation: Reconciliation;
  /** Raises held back this step, by why. */
  readonly held: { readonly dwell: number; readonly sequencing: number };
}

const counted = new WeakMap<object, Record<string, number>>();

/** Miners per profile (a planner answer is re-used while nothing changes: counted once per answer). */
function profileCounts(miners: MinerPlan): Record<string, number> {
  let out = counted.get(miners.result);
  if (!out) {
    out = {};
    for (let k = 0; k < miners.planner.miners.length; k++) {
      const p = miners.targetAt(k);
      if (p !== undefined) out[p] = (out[p] ?? 0) + 1;
    }
    counted.set(miners.result, out);
  }
  return { ...out };
}

/** The step's decision in words and figures (`GET /v1/plan`). */
export function explainPlan(x: ExplainInput): PlanExplanation {
  const { snap, state, policy, miners: { result } } = x;
  const excluded = [...snap.excluded.keys()];
  const reasons = [
    `effective cap ${kw(snap.budget.cap.effectiveCapW)} kW (${snap.budget.cap.binding}), IT budget ${kw(snap.budget.itBudgetW)} kW after cooling`,
    `GPUs budgeted at their limits: ${kw(x.gpuBudgetW)} kW; host overhead ${kw(snap.hostOverheadW)} kW`,
    `miners get the rest less ${kw(policy.hysteresisW)} kW head-room: ${kw(x.minerBudgetW)} kW`,
    ...(x.excessW > 0 ? [`measured site power is ${kw(x.excessW)} kW above the cap: the miners the plan can move shed at least that now`] : []),
    ...(result.feasible ? [] : [`infeasible: even with every miner at its lowest profile the budget is ${kw(result.deficitW)} kW short`]),
    ...(excluded.length ? [`${excluded.length} miner(s) on silent hosts, unreachable, in maintenance or off target, budgeted at their maximum or measured draw`] : []),
    ...(x.reconciliation.offTarget.length ? [`${x.reconciliation.offTarget.length} device(s) off target: re-commanded, the rest of the site planned around them`] : []),
    ...(x.held.dwell ? [`${x.held.dwell} miner raise(s) wait for their minimum dwell (${policy.minDwellMs / 1000} s)`] : []),
    ...(x.held.sequencing ? [`${x.held.sequencing} raise(s) wait for sheds to be confirmed (break before make) or for the wake limit`] : []),
    ...(result.heldFloors.length ? [`ASIC floors held (planned first, the rest around them): ${result.heldFloors.map((z) => z || 'pool').join(', ')}`] : []),
    ...(snap.economics ? [`price stop: energy ${snap.economics.energyPricePerMWh} $/MWh (after strike hysteresis), hashprice ${snap.economics.hashpricePerThDay} $/TH/day: ${result.stepsBelowBreakeven} miner profile steps not worth their energy`] : []),
  ];
  const waiting = [...x.admission.waiting].map(([jobId, w]) => ({
    jobId, class: state.jobs.get(jobId)?.class ?? '', reason: w.reason, ...(w.reservedFrom !== undefined ? { reservedFrom: new Date(w.reservedFrom).toISOString() } : {}),
  }));
  return {
    at: snap.now, effectiveCapW: snap.budget.cap.effectiveCapW, binding: snap.budget.cap.binding, itBudgetW: snap.budget.itBudgetW,
    hostOverheadW: snap.hostOverheadW, gpuBudgetW: x.gpuBudgetW, minerBudgetW: x.minerBudgetW, plannedMinerW: result.powerW,
    plannedHashrateThs: result.hashrateThs, lpBoundThs: result.lpBoundThs, feasible: result.feasible, economics: snap.economics ?? null,
    // Miners per profile: counted when read (`GET /v1/plan`, a log), not on every step.
    get profiles() {
      return profileCounts(x.miners);
    },
    excludedMiners: excluded, classes: explainClasses(state, result.zoneW, result.heldFloors, x.admission), waiting,
    reconcile: { offTarget: [...x.reconciliation.offTarget], measuredSiteW: snap.measured.siteW, excessW: x.excessW },
    reasons,
  };
}

function explainClasses(state: SiteState, zoneW: ReadonlyMap<string, number>, heldFloors: readonly string[], admission: AdmissionResult): ClassExplanation[] {
  const pool = state.priorities.filter((c) => c.kind === 'asic' && !c.miners);
  return state.priorities.map((c, rank) => {
    const waiting = [...state.jobs.values()].filter((j) => j.state === 'queued' && j.class === c.name && admission.waiting.has(j.id));
    let kwNow: number;
    let why: string;
    if (c.kind === 'gpu') {
      kwNow = classReservationW(state, c.name) / 1000;
      why = waiting.length ? `${waiting.length} job(s) waiting: ${admission.waiting.get(waiting[0]!.id)!.reason}` : 'every job of this class admitted';
    } else if (c.miners) {
      kwNow = (zoneW.get(c.name) ?? 0) / 1000;
      const floor = c.minKw
        ? `floor of ${c.minKw} kW over its ${c.miners.length} miners ${heldFloors.includes(c.name) ? 'held: planned before every lower class' : 'met by the plan as it is'}`
        : `its ${c.miners.length} miners fill what the classes above leave`;
      why = c.maxKw !== undefined ? `${floor}; at most ${c.maxKw} kW` : floor;
    } else {
      // Classes without a miner list share the pool: floors first, in order, the rest to the last.
      const poolKw = (zoneW.get('') ?? 0) / 1000;
      const before = pool.slice(0, pool.indexOf(c)).reduce((sum, x) => sum + (x.minKw ?? 0), 0);
      const remaining = Math.max(0, poolKw - before);
      kwNow = c === pool.at(-1) ? remaining : Math.min(remaining, c.minKw ?? remaining);
      why = c.minKw
        ? `floor of ${c.minKw} kW over the miners no class lists, ${heldFloors.includes('') ? 'held: planned before every lower class' : 'met by the plan as it is'}`
        : 'the miners no class lists fill whatever the classes above leave';
    }
    return { name: c.name, kind: c.kind, rank, kw: Math.round(kwNow * 10) / 10, minKw: c.minKw ?? null, maxKw: c.maxKw ?? null, waitingJobs: waiting.length, why };
  });
}

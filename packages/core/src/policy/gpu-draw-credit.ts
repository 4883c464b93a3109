import type { DeviceReading } from '@wattbroker/contracts';
import { itBudgetW } from '../site/site-model.js';
import { IDLE, ON_TARGET } from '../snapshot/device-status.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { modelCooling } from '../state/meter.js';
import type { SiteState } from '../state/site-state.js';
import type { Policy } from './policy.js';

/**
 * GPU draw credit: the miners may be planned into part of what settled GPUs leave below their
 * power limits, paid for out of the safety margin.
 *
 * Rule 3 (docs/design.md) budgets a GPU at its enforced limit because a burst takes it there
 * within a second, faster than any miner sheds; an H100 averages ~420 W under a 700 W limit,
 * so the plan leaves that gap unused below cap − margin. The hard cap is `cap`; the plan fills
 * `cap − margin`. With this hook a settled GPU is budgeted at what it has been drawing (the
 * peak, or the mean, of its readings over the last whole window at its present limit and
 * job) and the difference to its limit is credited to the miners — but only as much of it,
 * summed over the GPUs, as fits in the margin (in IT watts, after cooling: `marginShare` of
 * it). Every raise is still gated on the worst case with every GPU at its limit, against
 * `cap − margin` plus the credit, so if every GPU bursts to its limit at once before any miner
 * sheds the site stays at or under the hard cap; a GPU's excursion above its budget (within
 * the credit) is not shed as an excess, anything beyond it is, back to `cap − margin`.
 * What fits beyond the margin is still budgeted at the limit.
 *
 * The trade-off: the margin also absorbs model error (meter error, a cooling model that is
 * off, miners that drift between readings). Spending it on GPU bursts leaves less of it for
 * those. Off by default.
 *
 * A GPU earns credit only when it is settled (on its target, or idle with none), its host is
 * live, it is not being admitted this step, and it has held the same limit and job for the
 * whole window, read in whole buckets: the credit moves only at bucket boundaries (the
 * backtest steps on every whole minute), not with every reading.
 */
export interface GpuDrawPolicy {
  readonly mode: 'off' | 'peak' | 'mean';
  /** Readings of this long (whole buckets, all at the GPU's present limit and job) make its budget. */
  readonly windowMs: number;
  readonly bucketMs: number;
  /** Share (0–1) of the safety margin the credit may spend. */
  readonly marginShare: number;
  /**
   * A GPU job may also start into what is left of that share of the margin, before the miners
   * shed for it (they shed at the same step): its worst case still fits the hard cap.
   */
  readonly startsInMargin: boolean;
}

export const DEFAULT_GPU_DRAW: GpuDrawPolicy = { mode: 'off', windowMs: 60_000, bucketMs: 60_000, marginShare: 1, startsInMargin: false };

interface Bucket {
  k: number;
  maxW: number;
  sumW: number;
  n: number;
}

/** One GPU's readings since it last changed limit or job. */
interface DrawHistory {
  key: string;
  since: number;
  buckets: Bucket[];
}

/** Per site state, per GPU: memory of readings beside the state (like the head-room's history). */
const histories = new WeakMap<SiteState, Map<string, DrawHistory>>();

const keyOf = (r: DeviceReading) => `${r.powerLimitW ?? ''}|${r.jobId ?? ''}`;

/**
 * Fold a telemetry batch's GPU readings into the histories (the controller calls it for every
 * batch when the hook is on, so the budget does not depend on when steps run).
 */
export function observeGpuDraws(state: SiteState, readings: readonly DeviceReading[], now: number, p: GpuDrawPolicy): void {
  if (p.mode === 'off') return;
  let byGpu = histories.get(state);
  if (!byGpu) {
    byGpu = new Map();
    histories.set(state, byGpu);
  }
  const k = Math.floor(now / p.bucketMs);
  const keep = Math.ceil(p.windowMs / p.bucketMs) + 1;
  for (const r of readings) {
    const d = state.devices.get(r.id);
    if (d?.inv.kind !== 'gpu') continue;
    if (!r.reachable) {
      byGpu.delete(r.id);
      continue;
    }
    const key = keyOf(r);
    let h = byGpu.get(r.id);
    if (!h || h.key !== key) {
      h = { key, since: now, buckets: [] };
      byGpu.set(r.id, h);
    }
    const last = h.buckets[h.buckets.length - 1];
    if (last && last.k === k) {
      last.maxW = Math.max(last.maxW, r.powerW);
      last.sumW += r.powerW;
      last.n++;
    } else if (!last || last.k < k) {
      h.buckets.push({ k, maxW: r.powerW, sumW: r.powerW, n: 1 });
      if (h.buckets.length > keep) h.buckets.splice(0, h.buckets.length - keep);
    }
  }
}

export interface GpuDrawCredit {
  /** IT watts the miners may be planned into beyond the GPUs' limits (at most the margin's share). */
  readonly creditW: number;
  /**
   * The credit the raises of this step are gated with: GPUs admitted this step included. Their
   * credit goes (they go to the job's limit) but the miners planned into it still draw it until
   * they shed; the worst case stays within cap − margin + this ≤ the hard cap, and the job
   * starts without waiting for that shed.
   */
  readonly gateCreditW: number;
  /** The budget above cap − margin a GPU job's start may use (`startsInMargin`: the margin's share; else the gate's credit). */
  readonly startCreditW: number;
  /** Of what the GPUs draw now, the part above their budgets (within the credit): not an excess to shed. */
  readonly forgivenW: number;
  /** GPUs that earned credit. */
  readonly gpus: number;
}

const NONE: GpuDrawCredit = { creditW: 0, gateCreditW: 0, startCreditW: 0, forgivenW: 0, gpus: 0 };

/** The margin in IT watts under the cap the site plans to (the hard limit's IT budget less the planned one). */
export function marginItW(snap: Snapshot, state: SiteState): number {
  return Math.max(0, itBudgetW(modelCooling(state), snap.budget.cap.limitW) - snap.budget.itBudgetW);
}

/**
 * The credit for this step. `taken`: GPUs admitted this step (their budget becomes the job's
 * limit, their history is not the job's): no credit for the plan, but for the gate (below).
 */
export function gpuDrawCredit(snap: Snapshot, state: SiteState, policy: Policy, taken: ReadonlySet<string>): GpuDrawCredit {
  const p = policy.gpuDraw;
  if (p.mode === 'off' || snap.whatIf) return NONE;
  const byGpu = histories.get(state);
  if (!byGpu) return NONE;
  const kNow = Math.floor(snap.now / p.bucketMs);
  const need = Math.max(1, Math.ceil(p.windowMs / p.bucketMs));
  let sumW = 0;
  let takenW = 0;
  let overW = 0;
  let gpus = 0;
  const list = state.deviceList;
  for (let i = 0; i < list.length; i++) {
    const d = list[i]!;
    if (d.inv.kind !== 'gpu') continue;
    const s = snap.status[i];
    const r = d.reading;
    if ((s !== ON_TARGET && s !== IDLE) || !r || !snap.liveHosts.has(d.hostId)) continue;
    const h = byGpu.get(d.id);
    if (!h || h.key !== keyOf(r)) continue;
    // Whole buckets before this one, all read since the GPU took its present limit and job.
    let maxW = 0;
    let total = 0;
    let n = 0;
    let full = 0;
    for (const b of h.buckets) {
      if (b.k >= kNow || b.k < kNow - need || b.k * p.bucketMs < h.since) continue;
      maxW = Math.max(maxW, b.maxW);
      total += b.sumW;
      n += b.n;
      full++;
    }
    if (full < need || n === 0) continue;
    const budgetW = p.mode === 'peak' ? maxW : total / n;
    const creditW = snap.worstW[i]! - budgetW;
    if (creditW <= 0) continue;
    if (taken.has(d.id)) {
      takenW += creditW;
      continue;
    }
    sumW += creditW;
    overW += Math.max(0, r.powerW - budgetW);
    gpus++;
  }
  const marginW = p.marginShare * marginItW(snap, state);
  const creditW = Math.min(sumW, marginW);
  const gateCreditW = Math.min(sumW + takenW, marginW);
  return { creditW, gateCreditW, startCreditW: p.startsInMargin ? marginW : gateCreditW, forgivenW: Math.min(overW, creditW), gpus };
}

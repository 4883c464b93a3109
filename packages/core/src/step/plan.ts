import type { DesiredState, PlanExplanation } from '@wattbroker/contracts';
import { admit, type Admission, type Waiting } from '../admission/backfill.js';
import { preempt } from '../admission/preemption.js';
import { estimateGapW } from '../policy/estimate-gap.js';
import { gpuDrawCredit } from '../policy/gpu-draw-credit.js';
import { gpuHeadroomW } from '../policy/gpu-headroom.js';
import type { Policy } from '../policy/policy.js';
import { reconcile, type OffTarget } from '../reconcile/reconcile.js';
import { planTransitions, type DeviceChange } from '../sequencing/transitions.js';
import { MAINTENANCE, SILENT, UNKNOWN, UNREACHABLE } from '../snapshot/device-status.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { estimateW } from '../state/device-draws.js';
import type { SiteState } from '../state/site-state.js';
import { jobSpec } from '../state/telemetry.js';
import { explainPlan } from '../read-models/explanation.js';
import { followBudget, planMiners, plansDevices, type MinerPlan, type PlannerMemo } from './plan-miners.js';

/** One command per host per step: the full desired state of each device it names. */
export interface OutgoingCommand {
  readonly hostId: string;
  readonly commandId: string;
  readonly devices: Readonly<Record<string, DesiredState>>;
}

/** What one control step decided. Committing it (commit.ts) is what changes the site state. */
export interface Plan {
  readonly at: number;
  /** Queued jobs that start admitting (their reservation counts from now). */
  readonly admissions: readonly Admission[];
  /** Admitting jobs whose GPUs are raised now (break before make holds). */
  readonly starts: readonly string[];
  /** Every miner's profile in the plan (what the site is heading for; `targets` is what goes now). */
  readonly minerTargets: ReadonlyMap<string, string>;
  /** New targets, sent in `commands`. */
  readonly targets: ReadonlyMap<string, DesiredState>;
  /** Targets the readings already show: kept without a command. */
  readonly adopt: ReadonlyMap<string, DesiredState>;
  /** Devices commanded again with the target they have (level-triggered reconciliation). */
  readonly resend: readonly string[];
  readonly commands: readonly OutgoingCommand[];
  readonly waiting: ReadonlyMap<string, Waiting>;
  readonly offTarget: readonly OffTarget[];
  readonly explanation: PlanExplanation;
  /** Jobs preempted for admissions of this step (admission/preemption.ts): back to the queue, before the admissions commit. */
  readonly preempted: readonly string[];
  /** Power held back from the miners for GPU jobs to come (policy/gpu-headroom.ts), W. */
  readonly heldW: number;
  /** What settled GPUs leave below their limits, planned into the miners out of the margin (policy/gpu-draw-credit.ts), IT W. */
  readonly creditW: number;
}

function sameDesired(a: DesiredState | undefined, b: DesiredState): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === 'asic' && b.kind === 'asic') return a.profile === b.profile;
  if (a.kind === 'gpu' && b.kind === 'gpu') return a.powerLimitW === b.powerLimitW && (a.job?.id ?? null) === (b.job?.id ?? null);
  return false;
}

interface Changes {
  readonly changes: DeviceChange[];
  readonly pending: Map<string, DesiredState>;
  readonly adopt: Map<string, DesiredState>;
}

/**
 * The miners whose plan moves them: a change each (up or down is the profile's way), except
 * raises within their minimum dwell, which are counted (returned); a miner already showing its
 * profile without holding a target adopts it. Goes through the snapshot's arrays and reads a
 * miner's own record only when it changes (a loop of its own: the engine optimises it alone).
 */
function minerChanges(snap: Snapshot, state: SiteState, miners: MinerPlan, out: Changes): number {
  const list = state.deviceList;
  const byIndex = plansDevices(miners.planner, snap, list);
  let dwell = 0;
  for (let k = 0; k < snap.miners.length; k++) {
    const i = snap.miners[k]!;
    const s = snap.status[i]!;
    if (s === SILENT || s === UNKNOWN || s === UNREACHABLE || s === MAINTENANCE) continue;
    const target = byIndex ? miners.targetAt(k) : miners.targets.get(list[i]!.id);
    if (target === undefined) continue;
    const current = snap.heading[i];
    if (current === target) {
      if (!snap.hasTarget[i]) out.adopt.set(list[i]!.id, { kind: 'asic', profile: target });
      continue;
    }
    const d = list[i]!;
    const want: DesiredState = { kind: 'asic', profile: target };
    const currentW = snap.worstW[i]!;
    const targetW = estimateW(d, target);
    // Up or down is the profile's way, not the worst case's: a device still counted at an
    // earlier, higher target is raised when it goes above where it is heading now.
    const raise = current === undefined || targetW > estimateW(d, current);
    if (raise && snap.inDwell[i] === 1) {
      dwell++;
      continue;
    }
    out.pending.set(d.id, want);
    out.changes.push({
      id: d.id, currentW, targetW: raise ? Math.max(targetW, currentW) : Math.min(targetW, currentW), raise, wake: current === 'sleep' || d.reading?.sleeping === true, raiseOrder: 1,
    });
  }
  return dwell;
}

/**
 * The control step's decision, a function of the snapshot, the state it came from and the
 * policy (the memo only caches built planners). In order:
 * 1. admission: queued jobs that fit are admitted (backfill around reservations);
 * 2. the miners are planned into what the caps leave after GPUs (admitted jobs at their
 *    limits), host overheads and the head-room; when the site measures above its cap, into
 *    what they draw less the excess, whatever the plan said;
 * 3. break before make (sequencing/transitions.ts): every shed now, raises (GPUs of admitted
 *    jobs first) only where the worst case with the sheds still unconfirmed fits;
 * 4. level-triggered reconciliation: devices off their target are commanded again;
 * 5. one command per host with the full desired state of each device it names.
 */
export function plan(snap: Snapshot, state: SiteState, policy: Policy, memo: PlannerMemo): Plan {
  const now = snap.now;
  const list = state.deviceList;
  const itBudgetW = snap.budget.itBudgetW;

  // Hooks for control quality (each a no-op unless the policy turns it on):
  // - preemption: waiting jobs take the GPUs of lower, preemptible classes (admission/preemption.ts);
  // - head-room: power held back from the miners for GPU jobs to come (policy/gpu-headroom.ts);
  // - estimates: the miners planned in the units the worst case counts them in (policy/estimate-gap.ts);
  // - GPU draw credit: what settled GPUs leave below their limits, within the margin, goes to
  //   the miners; raises are gated against cap − margin + credit, so every GPU at its limit
  //   still fits the hard cap (policy/gpu-draw-credit.ts).
  const admission = preempt(snap, state, policy, admit(snap, state, policy));
  const admittedGpus = new Set(admission.admissions.flatMap((a) => a.gpuIds));
  const credit = gpuDrawCredit(snap, state, policy, admittedGpus);
  const gpuBudgetW = snap.gpuBudgetW + admission.extraW;
  // The head-room learns the GPUs' budget net of the credit: a job that starts on credited
  // GPUs takes their credit away too, and the miners should not follow that up and down either.
  const heldW = gpuHeadroomW(snap, state, policy, gpuBudgetW - credit.creditW) + estimateGapW(snap, state, policy);
  const nominalW = itBudgetW + credit.creditW - snap.hostOverheadW - gpuBudgetW - heldW - policy.hysteresisW;
  // Measured above the cap (beyond what sheds in flight will release): the miners the plan
  // can move must end up drawing at least the excess less, whatever the plan said. In the
  // planner's units: its draws may lag a drift the readings already show.
  // The cap is held on the larger of metered and modelled site power; in IT watts.
  const siteToIt = snap.measured.itW > 0 ? snap.measured.itW / snap.measured.modelledSiteW : 1;
  // (A credited GPU drawing above its budget is inside the margin the credit spent: not an excess.)
  const excessW = Math.max(0, (snap.measured.siteW - snap.budget.cap.effectiveCapW) * siteToIt - snap.pendingShedW - credit.forgivenW);
  const unit = snap.settledMinerW > 0 ? snap.settledEstimateW / snap.settledMinerW : 1;
  const afterSheds = snap.plannableMinerW - snap.pendingShedW;
  const minerBudgetW = excessW > 0 ? Math.min(nominalW, snap.excludedW + (afterSheds - excessW) * unit - policy.hysteresisW) : nominalW;
  const miners = followBudget(snap, state, policy, minerBudgetW, planMiners(snap, state, minerBudgetW, memo), memo);

  const changes: DeviceChange[] = [];
  const pending = new Map<string, DesiredState>();
  const adopt = new Map<string, DesiredState>();
  // Raises the fewest-moves follower left to miners within their dwell count as held by it too.
  let dwell = (miners.heldRaises ?? 0) + minerChanges(snap, state, miners, { changes, pending, adopt });
  const gpuIndex = new Map<string, number>();
  for (const i of snap.gpus) {
    const d = list[i]!;
    gpuIndex.set(d.id, i);
    const s = snap.status[i]!;
    if (d.inv.kind !== 'gpu' || s === SILENT || s === UNKNOWN || s === UNREACHABLE || s === MAINTENANCE) continue;
    const r = d.reading!;
    // GPUs held by no job (and not taken by an admission of this step) idle at their lowest limit: a shed.
    if (state.gpuHolder.has(d.id) || admittedGpus.has(d.id)) continue;
    const want: DesiredState = { kind: 'gpu', powerLimitW: d.inv.minLimitW, job: null };
    if (sameDesired(d.desired, want)) continue;
    if (d.desired === undefined && r.powerLimitW === d.inv.minLimitW && !r.jobId) {
      adopt.set(d.id, want);
      continue;
    }
    pending.set(d.id, want);
    changes.push({ id: d.id, currentW: snap.worstW[i]!, targetW: d.inv.minLimitW, raiseOrder: 0 });
  }

  // GPUs of admitting jobs go to the job's limit together, once the worst case allows. So do
  // those of a running job whose GPUs do not hold its target (a restart between persisting the
  // job and sending its command): level-triggered, the target is restored.
  const carries = (g: string, limitW: number | undefined, jobId: string) => {
    const want = state.devices.get(g)?.desired;
    return want?.kind === 'gpu' && want.job?.id === jobId && want.powerLimitW === limitW;
  };
  const preempted = new Set(admission.preempted);
  const admitting = [...state.jobs.values()]
    .filter((j) => j.gpuIds && !preempted.has(j.id) && (j.state === 'admitting' || (j.state === 'running' && j.gpuIds.some((g) => !carries(g, j.limitW, j.id)))))
    .map((j) => ({ id: j.id, gpuIds: j.gpuIds!, limitW: j.limitW!, spec: jobSpec(j) }));
  for (const a of admission.admissions) {
    const job = state.jobs.get(a.jobId)!;
    admitting.push({ id: a.jobId, gpuIds: [...a.gpuIds], limitW: a.limitW, spec: jobSpec(job) });
  }
  const jobGpus = new Map<string, string[]>();
  for (const j of admitting) {
    const idx = j.gpuIds.map((g) => gpuIndex.get(g));
    if (idx.some((i) => i === undefined || !snap.liveHosts.has(list[i]!.hostId) || snap.status[i] === UNREACHABLE)) continue;
    jobGpus.set(j.id, j.gpuIds);
    for (const g of j.gpuIds) {
      const i = gpuIndex.get(g)!;
      pending.set(g, { kind: 'gpu', powerLimitW: j.limitW, job: j.spec });
      // A job start is a make, also on a card still at (or above) the job's limit from before.
      changes.push({ id: g, currentW: snap.worstW[i]!, targetW: Math.max(j.limitW, snap.worstW[i]!), group: j.id, raise: true, raiseOrder: 0, reserve: true });
    }
  }

  const changedW = changes.reduce((s, c) => s + c.currentW, 0);
  const sequence = planTransitions(changes, {
    budgetW: itBudgetW + credit.gateCreditW, reserveBudgetW: itBudgetW + credit.startCreditW, otherW: snap.worstItW - changedW, maxWakesPerStep: policy.maxWakesPerStep,
  });
  const first = sequence.steps[0];
  const go = new Set([...(first?.shed ?? []), ...(first?.raise ?? [])]);
  const targets = new Map<string, DesiredState>();
  for (const c of changes) if (go.has(c.id)) targets.set(c.id, pending.get(c.id)!);
  const starts = [...jobGpus].filter(([id, gpus]) => state.jobs.get(id)?.state !== 'running' && gpus.every((g) => targets.has(g))).map(([id]) => id);
  for (const [id, gpus] of jobGpus) if (!starts.includes(id) && !gpus.every((g) => targets.has(g))) for (const g of gpus) targets.delete(g);

  const reconciliation = reconcile(snap, state, policy);
  const resend = reconciliation.resend.filter((id) => !targets.has(id));

  const byHost = new Map<string, Record<string, DesiredState>>();
  const add = (id: string, want: DesiredState) => {
    const hostId = state.devices.get(id)!.hostId;
    const devices = byHost.get(hostId) ?? {};
    devices[id] = want;
    byHost.set(hostId, devices);
  };
  for (const [id, want] of targets) add(id, want);
  for (const id of resend) add(id, state.devices.get(id)!.desired!);
  let k = 0;
  const commands = [...byHost].map(([hostId, devices]) => ({
    hostId, commandId: `${policy.commandIdPrefix}-${state.stepSeq.toString(36)}-${(k++).toString(36)}`, devices,
  }));

  const heldRaises = changes.filter((c) => c.targetW > c.currentW && !targets.has(c.id)).length;
  const explanation = explainPlan({
    snap, state, policy, gpuBudgetW, minerBudgetW, excessW, miners, admission, reconciliation, held: { dwell, sequencing: heldRaises },
  });
  if (heldW > 0) explanation.reasons.push(`head-room held for GPU jobs to come (${policy.headroom.mode}): ${(heldW / 1000).toFixed(1)} kW kept from the miners`);
  if (miners.moves) explanation.reasons.push(`fewest moves: ${miners.moves} miner move(s) follow the budget instead of the planner's whole answer`);
  if (credit.creditW > 0) explanation.reasons.push(`GPU draw credit (${policy.gpuDraw.mode}): ${(credit.creditW / 1000).toFixed(1)} kW of ${credit.gpus} settled GPUs' room below their limits planned into the miners, within the margin`);
  if (admission.preempted.length) explanation.reasons.push(`preempted for higher classes (back to the queue): ${admission.preempted.join(', ')}`);
  return {
    at: now, admissions: admission.admissions, starts,
    // A map of every miner: built only when read (Controller.whatIf reads it).
    get minerTargets() {
      return miners.targets;
    },
    targets, adopt, resend, commands, waiting: admission.waiting,
    offTarget: reconciliation.offTarget, explanation, preempted: admission.preempted, heldW, creditW: credit.creditW,
  };
}

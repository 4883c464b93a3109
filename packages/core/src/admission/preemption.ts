import type { JobRecord } from '@wattbroker/contracts';
import { moved, type JobTransition } from '../jobs/job-machine.js';
import { classRank } from '../policy/class-zones.js';
import type { Policy } from '../policy/policy.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { SiteState } from '../state/site-state.js';
import type { Admission, AdmissionResult } from './backfill.js';
import { classLimits } from './headroom.js';

/**
 * Preemption (off unless `policy.preemption`): a job that waits may take the GPUs of running
 * (or admitting) jobs of a lower-ranked GPU class marked `preemptible` in the priority list
 * (batch or fill work), which go back to the queue and start again later. Preempting the
 * filler first means a critical or standard burst finds GPUs (and their power, already
 * reserved at the filler's limit) at once, without waiting for miners to shed.
 *
 * For each waiting job in class rank then arrival order, on the host where the fewest victim
 * GPUs do it: the host's free GPUs first, then whole victim jobs, lowest class first and the
 * most recently started first (the least work lost). The job is admitted on the same power
 * rules as any admission (miners down to their lowest, floors and higher classes' minimums
 * kept); when it cannot be, nothing is preempted for it. Victims' GPUs that the job does not
 * take go idle at the next step. Pure: returns what to do; `requeue` is the reducer.
 */
export interface PreemptionResult extends AdmissionResult {
  /** Jobs that go back to the queue (their GPUs are taken or freed). */
  readonly preempted: readonly string[];
}

export function preempt(snap: Snapshot, state: SiteState, policy: Policy, base: AdmissionResult): PreemptionResult {
  if (!policy.preemption || base.waiting.size === 0) return { ...base, preempted: [] };
  const rankOf = (cls: string) => classRank(state.priorities, cls);
  const preemptible = new Set(state.priorities.filter((c) => c.kind === 'gpu' && c.preemptible).map((c) => c.name));
  if (preemptible.size === 0) return { ...base, preempted: [] };

  const startOf = (j: JobRecord) => j.timestamps.running ?? j.timestamps.admitting ?? 0;
  const victims = [...state.jobs.values()].filter((j) => (j.state === 'running' || j.state === 'admitting') && j.gpuIds && j.hostId && preemptible.has(j.class));
  if (victims.length === 0) return { ...base, preempted: [] };
  victims.sort((a, b) => rankOf(b.class) - rankOf(a.class) || startOf(b) - startOf(a) || (a.id < b.id ? -1 : 1));

  const indexOf = new Map<string, number>();
  state.deviceList.forEach((d, i) => indexOf.set(d.id, i));
  const taken = new Set<string>(base.admissions.flatMap((a) => a.gpuIds));
  const usable = (id: string) => {
    const d = state.devices.get(id);
    return d !== undefined && snap.liveHosts.has(d.hostId) && d.reading?.reachable === true;
  };
  const gone = new Set<string>();
  const admissions: Admission[] = [...base.admissions];
  const waiting = new Map(base.waiting);
  const preempted: string[] = [];
  let extraTotalW = base.extraW;

  const queued = [...state.jobs.values()].filter((j) => j.state === 'queued' && base.waiting.has(j.id));
  queued.sort((a, b) => rankOf(a.class) - rankOf(b.class) || (a.timestamps.queued ?? 0) - (b.timestamps.queued ?? 0));
  for (const job of queued) {
    const rank = rankOf(job.class);
    // Preemptible work never preempts; a class with a maximum is left to the ordinary admission.
    if (preemptible.has(job.class) || state.priorities[rank]?.maxKw !== undefined) continue;
    let best: { hostId: string; gpuIds: string[]; victims: JobRecord[] } | undefined;
    for (const h of state.hosts.values()) {
      if (h.kind !== 'gpu' || !snap.liveHosts.has(h.id)) continue;
      const free = h.deviceIds.filter((g) => usable(g) && !state.gpuHolder.has(g) && !taken.has(g));
      const chosen: JobRecord[] = [];
      let have = free.length;
      const pool = victims.filter((v) => v.hostId === h.id && !gone.has(v.id) && rankOf(v.class) > rank && v.gpuIds!.every((g) => !taken.has(g) && usable(g)));
      while (have < job.gpus && pool.length) {
        // Lowest class first; within it the smallest job that covers what is missing (else the
        // largest), the most recently started first: the fewest GPUs and the least work lost.
        const lowest = rankOf(pool[0]!.class);
        const missing = job.gpus - have;
        let pick = -1;
        pool.forEach((v, k) => {
          if (rankOf(v.class) !== lowest) return;
          if (pick < 0) return void (pick = k);
          const a = v.gpuIds!.length;
          const b = pool[pick]!.gpuIds!.length;
          const better = a >= missing ? b < missing || a < b : b < missing && a > b;
          if (better) pick = k;
        });
        const [v] = pool.splice(pick, 1);
        chosen.push(v!);
        have += v!.gpuIds!.length;
      }
      if (have < job.gpus || chosen.length === 0) continue;
      const victimGpus = chosen.reduce((s, v) => s + v.gpuIds!.length, 0);
      if (best && best.victims.reduce((s, v) => s + v.gpuIds!.length, 0) <= victimGpus) continue;
      best = { hostId: h.id, gpuIds: [...free, ...chosen.flatMap((v) => v.gpuIds!)].slice(0, job.gpus), victims: chosen };
    }
    if (!best) continue;
    const inv = state.devices.get(best.gpuIds[0]!)!.inv;
    if (inv.kind !== 'gpu') continue;
    const limitW = Math.min(inv.maxLimitW, Math.max(inv.minLimitW, job.powerLimitW ?? inv.maxLimitW));
    // Power as for any admission: what the job adds over what its GPUs count for now, against
    // what the class may take (miners down to their lowest, floors and minimums above kept).
    // The victims' other GPUs are not counted as freed (they idle at the next step).
    const extraW = job.gpus * limitW - best.gpuIds.reduce((s, g) => s + snap.worstW[indexOf.get(g)!]!, 0);
    const l = classLimits(snap, state, rank);
    const availableW = snap.budget.itBudgetW - snap.hostOverheadW - snap.gpuBudgetW - l.minersW - l.keptFreeW - extraTotalW;
    if (extraW > availableW) continue;
    admissions.push({ jobId: job.id, hostId: best.hostId, gpuIds: best.gpuIds, limitW, idleLimitW: inv.minLimitW, extraW });
    extraTotalW += extraW;
    waiting.delete(job.id);
    for (const g of best.gpuIds) taken.add(g);
    for (const v of best.victims) {
      gone.add(v.id);
      preempted.push(v.id);
    }
  }
  return { admissions, waiting, extraW: extraTotalW, preempted };
}

/**
 * Reducer: a preempted job goes back to the queue — its GPUs are released (the admission
 * committed after it may hold them at once), its placement forgotten, its queue time now.
 */
export function requeue(state: SiteState, id: string, now: number): JobTransition | undefined {
  const job = state.jobs.get(id);
  if (!job || (job.state !== 'running' && job.state !== 'admitting')) return undefined;
  for (const g of job.gpuIds ?? []) if (state.gpuHolder.get(g) === id) state.gpuHolder.delete(g);
  const { hostId: _h, gpuIds: _g, limitW: _l, ...rest } = job;
  const { admitting: _a, running: _r, ...timestamps } = job.timestamps;
  const next = moved({ ...rest, timestamps }, 'queued', now);
  state.jobs.set(id, next);
  return { job: next, from: job.state, to: 'queued', at: now };
}

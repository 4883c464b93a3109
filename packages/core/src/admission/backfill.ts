import type { JobRecord } from '@wattbroker/contracts';
import { budgetAt, capChanges } from '../grid/caps.js';
import { runTimeMs } from '../jobs/job-machine.js';
import { classRank } from '../policy/class-zones.js';
import type { Policy } from '../policy/policy.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { SiteState } from '../state/site-state.js';
import { classLimits, classReservationW, powerBlock, type ClassLimits } from './headroom.js';
import { place, type Placement } from './placement.js';

export interface Admission extends Placement {
  readonly jobId: string;
  /** Power the job adds to the site's budget now (its GPUs at the job's limit, less what they count for now). */
  readonly extraW: number;
}

export interface Waiting {
  readonly reason: string;
  /** When the job is expected to start at the latest (a backfilled job never delays it beyond this). */
  readonly reservedFrom?: number;
}

export interface AdmissionResult {
  readonly admissions: readonly Admission[];
  readonly waiting: ReadonlyMap<string, Waiting>;
  /** Σ extraW of the admissions. */
  readonly extraW: number;
}

/** A job holding (or reserved to hold) GPUs and power over a time window, in the model of the future. */
interface Hold {
  readonly jobId: string;
  readonly rank: number;
  readonly from: number;
  readonly to: number;
  readonly gpuIds: ReadonlySet<string>;
  /** Power above the GPUs' idle limits. */
  readonly extraW: number;
}

const iso = (t: number) => new Date(t).toISOString();

/**
 * Admission of queued GPU jobs, in class rank then arrival order, with backfill (as batch
 * schedulers such as Slurm do). A job that fits now — free GPUs on one host, and power the
 * priority list lets its class take — is admitted. A job that does not gets a reservation:
 * the earliest time it fits in a model of the future (running jobs end by their run-time
 * bound, grid caps end), with the GPUs and power it will use then. A job behind it may still
 * start now if it does not delay any reservation: it ends before the reservation starts, or
 * uses other GPUs and leaves the reserved power. So one impossible or large job never jams the
 * queue, and a blocked job is never delayed beyond its reservation. Jobs beyond
 * `maxReservations` blocked ones wait their turn without a reservation. Pure.
 */
export function admit(snap: Snapshot, state: SiteState, policy: Policy): AdmissionResult {
  const now = snap.now;
  const queued = [...state.jobs.values()].filter((j) => j.state === 'queued');
  if (queued.length === 0) return { admissions: [], waiting: new Map(), extraW: 0 };
  const rankOf = (j: JobRecord) => classRank(state.priorities, j.class);
  queued.sort((a, b) => rankOf(a) - rankOf(b) || (a.timestamps.queued ?? 0) - (b.timestamps.queued ?? 0));

  const indexOf = new Map<string, number>();
  let idleBaseW = 0;
  state.deviceList.forEach((d, i) => {
    if (d.inv.kind !== 'gpu') return;
    indexOf.set(d.id, i);
    idleBaseW += d.inv.minLimitW;
  });
  const usable = (id: string) => {
    const d = state.devices.get(id);
    return d !== undefined && snap.liveHosts.has(d.hostId) && d.reading?.reachable === true;
  };
  const taken = new Set<string>();
  const freeNow = (hostId: string) => (state.hosts.get(hostId)?.deviceIds ?? []).filter((id) => usable(id) && !state.gpuHolder.has(id) && !taken.has(id));

  // The model of the future: jobs holding GPUs until their run-time bound, and reservations.
  const holds: Hold[] = [];
  for (const j of state.jobs.values()) {
    if ((j.state !== 'admitting' && j.state !== 'running') || !j.gpuIds) continue;
    const idle = idleOf(state, j.gpuIds[0]);
    const start = j.state === 'running' ? (j.timestamps.running ?? now) : now;
    holds.push({ jobId: j.id, rank: rankOf(j), from: now, to: Math.max(now, start + runTimeMs(j)), gpuIds: new Set(j.gpuIds), extraW: j.gpus * Math.max(0, (j.limitW ?? idle) - idle) });
  }
  const reservations: Hold[] = [];

  const limitsByRank = new Map<number, ClassLimits>();
  const limits = (rank: number) => {
    let l = limitsByRank.get(rank);
    if (!l) {
      l = classLimits(snap, state, rank);
      limitsByRank.set(rank, l);
    }
    return l;
  };
  let admittedW = 0;
  const availableNow = (rank: number) => {
    const l = limits(rank);
    return snap.budget.itBudgetW - snap.hostOverheadW - snap.gpuBudgetW - l.minersW - l.keptFreeW - admittedW;
  };
  const capTimes = capChanges(state.gridEvents, now, policy.preShedMs);
  /** Power left for GPU jobs of `rank` at `t` in the model: every GPU idle, minus what holds and reservations use then. */
  const availableAt = (t: number, rank: number) => {
    const l = limits(rank);
    let w = budgetAt(state, t, true, policy.preShedMs).itBudgetW - snap.hostOverheadW - idleBaseW - l.minersW - l.keptFreeW;
    for (const h of holds) if (h.from <= t && t < h.to) w -= h.extraW;
    for (const r of reservations) if (r.from <= t && t < r.to) w -= r.extraW;
    return w;
  };
  /** Times in [from, to) at which what is available can change, `from` first. */
  const checkpoints = (from: number, to: number) => {
    const ts = new Set<number>([from]);
    for (const t of capTimes) if (t > from && t < to) ts.add(t);
    for (const r of reservations) if (r.from > from && r.from < to) ts.add(r.from);
    return [...ts];
  };

  const admissions: Admission[] = [];
  const waiting = new Map<string, Waiting>();
  const classAdded = new Map<string, number>();
  for (const job of queued) {
    const rank = rankOf(job);
    const cls = state.priorities[rank];
    const runMs = runTimeMs(job);
    const endIfNow = now + runMs;
    let why: string | undefined;
    let reservable = true;

    // GPUs that reservations overlapping this job's run have claimed are not the job's to take.
    const claimed = new Set<string>();
    for (const r of reservations) if (r.from < endIfNow) for (const g of r.gpuIds) claimed.add(g);
    const p = place(state, job, (h) => freeNow(h).filter((g) => !claimed.has(g)));
    if (cls?.maxKw !== undefined && p && classReservationW(state, cls.name) + (classAdded.get(cls.name) ?? 0) + job.gpus * p.limitW > cls.maxKw * 1000) {
      why = `class ${cls.name} is at its maximum of ${cls.maxKw} kW`;
      reservable = false;
    } else if (p) {
      const extraW = job.gpus * p.limitW - p.gpuIds.reduce((s, g) => s + snap.worstW[indexOf.get(g)!]!, 0);
      why = powerBlock(limits(rank), availableNow(rank), extraW);
      if (!why) {
        const modelW = job.gpus * Math.max(0, p.limitW - p.idleLimitW);
        const delayed = reservations.find((r) => r.from < endIfNow && checkpoints(Math.max(now, r.from), Math.min(endIfNow, r.to)).some((t) => availableAt(t, r.rank) - modelW < 0));
        if (!delayed) {
          admissions.push({ ...p, jobId: job.id, extraW });
          for (const g of p.gpuIds) taken.add(g);
          admittedW += extraW;
          if (cls) classAdded.set(cls.name, (classAdded.get(cls.name) ?? 0) + job.gpus * p.limitW);
          holds.push({ jobId: job.id, rank, from: now, to: endIfNow, gpuIds: new Set(p.gpuIds), extraW: modelW });
          continue;
        }
        why = `would delay ${delayed.jobId}, reserved from ${iso(delayed.from)}`;
      }
    } else {
      const anyHost = place(state, job, freeNow);
      why = anyHost ? `the free GPUs are reserved for ${reservations.map((r) => r.jobId).join(', ')}` : `no GPU host has ${job.gpus} free GPUs`;
    }

    if (!reservable) waiting.set(job.id, { reason: why });
    else if (reservations.length >= policy.maxReservations) {
      waiting.set(job.id, { reason: `${why}; waits its turn behind ${reservations.length} reserved job(s)` });
    } else {
      const r = earliestStart(job, rank, runMs);
      if (r) {
        reservations.push(r);
        waiting.set(job.id, { reason: `${why}; expected to start by ${iso(r.from)} (reserved)`, reservedFrom: r.from });
      } else waiting.set(job.id, { reason: `${why}; no start can be foreseen yet` });
    }
  }
  return { admissions, waiting, extraW: admittedW };

  /** The first time the job's GPUs and power are free for its whole run, in the model. */
  function earliestStart(job: JobRecord, rank: number, runMs: number): Hold | undefined {
    const times = new Set<number>(capTimes);
    for (const h of holds) if (h.to > now) times.add(h.to);
    for (const r of reservations) if (r.to > now) times.add(r.to);
    for (const t of [...times].filter((x) => x > now).sort((a, b) => a - b)) {
      const until = t + runMs;
      const p = place(state, job, (hostId) => (state.hosts.get(hostId)?.deviceIds ?? []).filter((g) =>
        usable(g) && !holds.some((h) => h.to > t && h.gpuIds.has(g)) && !reservations.some((r) => r.from < until && r.to > t && r.gpuIds.has(g))));
      if (!p) continue;
      const modelW = job.gpus * Math.max(0, p.limitW - p.idleLimitW);
      if (checkpoints(t, until).every((x) => availableAt(x, rank) >= modelW)) {
        return { jobId: job.id, rank, from: t, to: until, gpuIds: new Set(p.gpuIds), extraW: modelW };
      }
    }
    return undefined;
  }
}

function idleOf(state: SiteState, gpuId: string | undefined): number {
  const inv = gpuId === undefined ? undefined : state.devices.get(gpuId)?.inv;
  return inv?.kind === 'gpu' ? inv.minLimitW : 0;
}

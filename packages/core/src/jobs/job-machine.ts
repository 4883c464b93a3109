import type { JobRecord, JobState } from '@wattbroker/contracts';
import type { SiteState } from '../state/site-state.js';

/**
 * A GPU job's life: queued → admitting (its reservation counts, so miners shed) → running
 * (its GPUs' limits raised, once the shed is confirmed) → done | failed | cancelled. Records
 * are immutable: every transition makes a new one, which the scheduler persists.
 */
export interface JobTransition {
  readonly job: JobRecord;
  readonly from: JobState;
  readonly to: JobState;
  readonly at: number;
}

export function isTerminal(s: JobState): boolean {
  return s === 'done' || s === 'failed' || s === 'cancelled';
}

/** The job moved to `to` at `now` (with any fields that come with it). */
export function moved(job: JobRecord, to: JobState, now: number, patch: Partial<JobRecord> = {}): JobRecord {
  return { ...job, ...patch, state: to, timestamps: { ...job.timestamps, [to]: now } };
}

/** Reducer: put a new job (or one reloaded after a restart, in whatever state it was) in the site. */
export function addJob(state: SiteState, job: JobRecord): void {
  if (isTerminal(job.state)) return;
  state.jobs.set(job.id, job);
  if (job.state === 'admitting' || job.state === 'running') for (const g of job.gpuIds ?? []) state.gpuHolder.set(g, job.id);
}

/** Reducer: a job changes state; a finished job leaves the site and frees its GPUs (the next step idles them). */
export function transition(state: SiteState, id: string, to: JobState, now: number, patch: Partial<JobRecord> = {}): JobTransition | undefined {
  const job = state.jobs.get(id);
  if (!job || isTerminal(job.state)) return undefined;
  const next = moved(job, to, now, patch);
  if (to === 'admitting') for (const g of next.gpuIds ?? []) state.gpuHolder.set(g, id);
  if (isTerminal(to)) {
    for (const g of job.gpuIds ?? []) if (state.gpuHolder.get(g) === id) state.gpuHolder.delete(g);
    state.jobs.delete(id);
  } else state.jobs.set(id, next);
  return { job: next, from: job.state, to, at: now };
}

export function cancelJob(state: SiteState, id: string, now: number): JobTransition | undefined {
  return transition(state, id, 'cancelled', now);
}

/** The GPU agent reports the job's end. */
export function endJob(state: SiteState, id: string, ok: boolean, error: string | undefined, now: number): JobTransition | undefined {
  return transition(state, id, ok ? 'done' : 'failed', now, error ? { error } : {});
}

/** Upper bound of a job's run time: its simulated duration, or its workload's timeout. */
export function runTimeMs(job: Pick<JobRecord, 'durationS' | 'workload'>): number {
  return (job.durationS ?? job.workload?.timeoutS ?? 300) * 1000;
}

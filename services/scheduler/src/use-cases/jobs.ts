import { randomBytes } from 'node:crypto';
import { RefusedError, type JobBody, type JobMessage, type JobRecord, type JobState } from '@wattbroker/contracts';
import { audited, type AuditStamp } from '../audit.js';
import type { UseCaseDeps } from './deps.js';

/** GPU jobs: submit (refused at once when it can never run), cancel, look up, and the agents' reports of their end. */
export class Jobs {
  constructor(private readonly d: UseCaseDeps) {}

  /** @param owner the submitting token's name (tenants see and cancel only their own jobs) */
  async submit(body: JobBody, owner?: string, stamp?: AuditStamp): Promise<JobRecord> {
    const { controller, clock, store, loop, events } = this.d;
    const refusal = controller.refusal(body);
    if (refusal) throw new RefusedError('Job cannot run on this site', refusal);
    const now = clock.now();
    const job: JobRecord = {
      id: `job-${now.toString(36)}-${randomBytes(4).toString('hex')}`,
      class: body.class, gpus: body.gpus, state: 'queued', timestamps: { queued: now },
      ...(body.powerLimitW !== undefined ? { powerLimitW: body.powerLimitW } : {}),
      ...(body.durationS !== undefined ? { durationS: body.durationS } : {}),
      ...(body.workload !== undefined ? { workload: body.workload } : {}),
      ...(owner !== undefined ? { owner } : {}),
    };
    await store.saveJobs([job], audited(stamp, null, job, now));
    controller.addJob(job);
    events.emit('job:transition', { job, from: 'queued', to: 'queued', at: now });
    loop.tick();
    return job;
  }

  async cancel(id: string, stamp?: AuditStamp): Promise<JobRecord | undefined> {
    const before = this.d.controller.job(id);
    const now = this.d.clock.now();
    const t = this.d.controller.cancelJob(id, now);
    if (t) await this.d.loop.record([t], audited(stamp, before && { ...before }, t.job, now));
    this.d.loop.tick();
    return t?.job ?? (await this.get(id));
  }

  /** A job as the site knows it now (unfinished ones from memory, the rest from the store). */
  async get(id: string): Promise<JobRecord | undefined> {
    return this.d.controller.job(id) ?? (await this.d.store.job(id));
  }

  /** Newest first, filtered on the state each job has now, before the limit. */
  list(q: { limit: number; state?: JobState; after?: { score: number; id: string }; owner?: string }): Promise<JobRecord[]> {
    return this.d.store.jobs({ ...q, live: (j) => this.d.controller.job(j.id) ?? j });
  }

  waitReason(id: string): string | undefined {
    return this.d.controller.waitReason(id);
  }

  /** A GPU agent reports that a job ended. */
  async ended(msg: JobMessage): Promise<void> {
    if (msg.state === 'running') return;
    const t = this.d.controller.jobEnded(msg.jobId, msg.state === 'done', msg.error, this.d.clock.now());
    if (t) await this.d.loop.record([t]);
    this.d.loop.tick();
  }
}

import type { Response } from 'express';
import type { DeviceView, PlanExplanation } from '@wattbroker/contracts';
import { actorOf } from './auth.js';

/**
 * What each role may see of other people's work. Operators see everything. A job's workload
 * (its endpoint, path and body: a tenant's prompt) is shown to operators only. Tenants see
 * no job ids but their own: the devices and the plan answer without the jobs of other
 * tenants, as `GET /v1/jobs/:id` answers 404 for them (docs/security.md).
 */
export function devicesFor(res: Response, devices: readonly DeviceView[], ownerOf: (jobId: string) => string | undefined): DeviceView[] {
  const { role, name } = actorOf(res);
  if (role === 'operator') return [...devices];
  return devices.map((d) => {
    if (d.kind !== 'gpu') return d;
    const desired = d.desired?.kind === 'gpu' && d.desired.job ? { ...d.desired, job: hideJob(d.desired.job, role, name, ownerOf) } : d.desired;
    const jobId = d.reading?.jobId;
    const reading = d.reading && jobId && role === 'tenant' && ownerOf(jobId) !== name ? { ...d.reading, jobId: null } : d.reading;
    return { ...d, desired, reading };
  });
}

function hideJob<J extends { id: string; workload?: unknown }>(job: J, role: string, name: string, ownerOf: (jobId: string) => string | undefined): J | null {
  if (role === 'tenant' && ownerOf(job.id) !== name) return null;
  const { workload: _w, ...rest } = job;
  return rest as J;
}

/** The plan's waiting jobs: a tenant sees its own only. */
export function planFor(res: Response, plan: PlanExplanation, ownerOf: (jobId: string) => string | undefined): PlanExplanation {
  const { role, name } = actorOf(res);
  return role === 'tenant' ? { ...plan, waiting: plan.waiting.filter((w) => ownerOf(w.jobId) === name) } : plan;
}

import type { Response } from 'express';
import { z } from 'zod';
import { JobBodySchema, JobStateSchema, parseInput, type JobRecord } from '@wattbroker/contracts';
import { stampOf } from '../audit-stamp.js';
import { actorOf } from '../auth.js';
import { CursorSchema, setNextCursor } from '../paging.js';
import { idParam, noQuery } from '../params.js';
import { badField, notFound } from '../problem.js';
import { jobView } from '../views.js';
import type { RouteContext } from './context.js';

/** `GET /v1/jobs` query: newest first, filtered before the limit; `cursor` = `X-Next-Cursor` of the previous page. */
export const JobListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  state: JobStateSchema.optional(),
  cursor: CursorSchema.optional(),
});

/** A job cursor holds the last job's queued time and id. */
function jobCursor(text: string): { score: number; id: string } {
  const m = /^(\d{1,16}):([A-Za-z0-9._-]{1,128})$/.exec(text);
  if (!m) throw badField('cursor', 'not a cursor of this API (use X-Next-Cursor of the previous page)');
  return { score: Number(m[1]), id: m[2]! };
}

/** Tenants see only the jobs their token submitted; viewers and operators see every job. */
function ownerFilter(res: Response): string | undefined {
  const actor = actorOf(res);
  return actor.role === 'tenant' ? actor.name : undefined;
}

/** A job the caller may see: another tenant's job is "not found", not "forbidden" (its existence is not told). */
function visible(job: JobRecord | undefined, res: Response): JobRecord | undefined {
  const owner = ownerFilter(res);
  return job && (owner === undefined || job.owner === owner) ? job : undefined;
}

export function jobRoutes({ r, s, view, tenant, jobLimit }: RouteContext): void {
  r.post('/v1/jobs', tenant, jobLimit, async (req, res) => {
    noQuery(req);
    const job = await s.jobs.submit(parseInput(JobBodySchema, req.body, 'body'), actorOf(res).name, stampOf(req, res));
    res.status(202).location(`/v1/jobs/${job.id}`).json({ id: job.id, state: job.state });
  });
  r.get('/v1/jobs', view, async (req, res) => {
    const q = parseInput(JobListQuerySchema, req.query, 'query');
    const owner = ownerFilter(res);
    const jobs = await s.jobs.list({ limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(q.cursor !== undefined ? { after: jobCursor(q.cursor) } : {}), ...(owner !== undefined ? { owner } : {}) });
    const last = jobs.at(-1);
    if (jobs.length === q.limit && last) setNextCursor(res, req.originalUrl, `${last.timestamps.queued ?? 0}:${last.id}`);
    res.json(jobs.map((j) => jobView(j, s.jobs.waitReason(j.id))));
  });
  r.get('/v1/jobs/:id', view, async (req, res) => {
    noQuery(req);
    const job = visible(await s.jobs.get(idParam(req)), res);
    if (!job) throw notFound('id', `job "${req.params.id}"`);
    res.json(jobView(job, s.jobs.waitReason(job.id)));
  });
  r.delete('/v1/jobs/:id', tenant, async (req, res) => {
    noQuery(req);
    const id = idParam(req);
    if (!visible(await s.jobs.get(id), res)) throw notFound('id', `job "${id}"`);
    const job = await s.jobs.cancel(id, stampOf(req, res));
    if (!job) throw notFound('id', `job "${id}"`);
    res.json(jobView(job));
  });
}

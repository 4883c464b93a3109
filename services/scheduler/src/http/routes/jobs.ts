import { z } from 'zod';
import { JobBodySchema, JobStateSchema, parseInput } from '@wattbroker/contracts';
import { CursorSchema, setNextCursor } from '../paging.js';
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

export function jobRoutes({ r, s, view, tenant }: RouteContext): void {
  r.post('/v1/jobs', tenant, async (req, res) => {
    const job = await s.jobs.submit(parseInput(JobBodySchema, req.body, 'body'));
    res.status(202).location(`/v1/jobs/${job.id}`).json({ id: job.id, state: job.state });
  });
  r.get('/v1/jobs', view, async (req, res) => {
    const q = parseInput(JobListQuerySchema, req.query, 'query');
    const jobs = await s.jobs.list({ limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(q.cursor !== undefined ? { after: jobCursor(q.cursor) } : {}) });
    const last = jobs.at(-1);
    if (jobs.length === q.limit && last) setNextCursor(res, req.originalUrl, `${last.timestamps.queued ?? 0}:${last.id}`);
    res.json(jobs.map((j) => jobView(j, s.jobs.waitReason(j.id))));
  });
  r.get('/v1/jobs/:id', view, async (req, res) => {
    const job = await s.jobs.get(req.params.id as string);
    if (!job) throw notFound('id', `job "${req.params.id}"`);
    res.json(jobView(job, s.jobs.waitReason(job.id)));
  });
  r.delete('/v1/jobs/:id', tenant, async (req, res) => {
    const job = await s.jobs.cancel(req.params.id as string);
    if (!job) throw notFound('id', `job "${req.params.id}"`);
    res.json(jobView(job));
  });
}

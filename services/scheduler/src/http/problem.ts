import type { NextFunction, Request, Response } from 'express';
import { InputError, RefusedError } from '@wattbroker/contracts';
import { BusyError } from '../use-cases/one-at-a-time.js';

/** An error that becomes an RFC 9457 problem+json response. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export function sendProblem(res: Response, req: Request, p: HttpProblem): void {
  res.status(p.status).type('application/problem+json').json({
    type: 'about:blank', title: p.title, status: p.status, detail: p.detail, instance: req.originalUrl, ...p.extra,
  });
}

/** Last middleware: every error leaves as problem+json; bad input names its fields. */
export function problemHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (err instanceof HttpProblem) return sendProblem(res, req, err);
  if (err instanceof InputError) {
    // A body or query that is wrong as a whole (not an object, no alternative fits) is named as such.
    const issues = err.issues.map((i) => (i.field === '(root)' ? { ...i, field: err.source } : i));
    const first = issues[0]!;
    return sendProblem(res, req, new HttpProblem(400, 'Invalid request', `${first.field}: ${first.message}`, { errors: issues }));
  }
  if (err instanceof BusyError) {
    res.set('Retry-After', '2');
    return sendProblem(res, req, new HttpProblem(503, 'Busy', err.message));
  }
  if (err instanceof RefusedError) {
    return sendProblem(res, req, new HttpProblem(422, err.title, err.message, { errors: [err.issue] }));
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.parse.failed') return sendProblem(res, req, new HttpProblem(400, 'Invalid JSON', `body: ${e.message ?? 'not valid JSON'}`, { errors: [{ field: 'body', message: 'not valid JSON' }] }));
  if (e.type === 'entity.too.large') return sendProblem(res, req, new HttpProblem(413, 'Body too large', `body: larger than ${req.path === '/v1/priorities' ? '4 MB' : '64 kB'}`, { errors: [{ field: 'body', message: 'too large' }] }));
  req.log?.error({ err }, 'unhandled error');
  sendProblem(res, req, new HttpProblem(500, 'Internal error', 'the scheduler failed to handle this request; see its log'));
}

/** 400 naming one field. */
export function badField(field: string, message: string): HttpProblem {
  return new HttpProblem(400, 'Invalid request', `${field}: ${message}`, { errors: [{ field, message }] });
}

export function notFound(field: string, what: string): HttpProblem {
  return new HttpProblem(404, 'Not found', `${field}: no ${what}`);
}

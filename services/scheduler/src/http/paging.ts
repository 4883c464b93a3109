import type { Response } from 'express';
import { z } from 'zod';

/**
 * Cursor pagination of list endpoints: `?limit=N&cursor=C`. A page's answer is the JSON array
 * as before; when more follow, `X-Next-Cursor` (and a `Link: <…>; rel="next"`) names the
 * cursor of the next page. Cursors are opaque (base64url), so clients never build them.
 * Filters are applied before the limit: a page holds `limit` matching items.
 */
export const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');

export const CursorSchema = z.string().min(1).max(512).regex(/^[A-Za-z0-9_-]+$/, 'not a cursor of this API (use X-Next-Cursor of the previous page)')
  .transform((c) => Buffer.from(c, 'base64url').toString('utf8'));

/** `limit` without a default: lists that always answered in full still do when no limit is given. */
export const PageQueryShape = {
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  cursor: CursorSchema.optional(),
};

/** One page of an in-memory list sorted by `key`: items after `after`, at most `limit`. */
export function pageOf<T>(items: readonly T[], key: (x: T) => string, q: { limit?: number | undefined; cursor?: string | undefined }): { page: T[]; next?: string } {
  if (q.limit === undefined && q.cursor === undefined) return { page: [...items] };
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const from = q.cursor === undefined ? sorted : sorted.filter((x) => key(x) > q.cursor!);
  if (q.limit === undefined || from.length <= q.limit) return { page: from };
  const page = from.slice(0, q.limit);
  return { page, next: key(page.at(-1)!) };
}

/** Name the next page in the headers (`X-Next-Cursor`, `Link`), when there is one. */
export function setNextCursor(res: Response, originalUrl: string, next: string | undefined): void {
  if (next === undefined) return;
  const cursor = encodeCursor(next);
  const url = new URL(originalUrl, 'http://x');
  url.searchParams.set('cursor', cursor);
  res.set('X-Next-Cursor', cursor);
  res.append('Link', `<${url.pathname}${url.search}>; rel="next"`);
}

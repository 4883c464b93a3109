import { z } from 'zod';
import { parseInput } from '@wattbroker/contracts';
import type { RouteContext } from './context.js';

/** `GET /v1/audit` query: newest first; `cursor` = `X-Next-Cursor` of the previous page (a stream id). */
export const AuditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().regex(/^\d{1,20}-\d{1,20}$/, 'a cursor from X-Next-Cursor (digits-digits)').optional(),
});

/** The audit trail of every write made through the API (operators only). */
export function auditRoutes({ r, s, operator }: RouteContext): void {
  r.get('/v1/audit', operator, async (req, res) => {
    const q = parseInput(AuditQuerySchema, req.query, 'query');
    const entries = await s.store.audit({ limit: q.limit, ...(q.cursor ? { before: q.cursor } : {}) });
    if (entries.length === q.limit) res.set('X-Next-Cursor', entries.at(-1)!.id);
    res.json(entries);
  });
}

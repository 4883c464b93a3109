import { z } from 'zod';
import { ROLES, TokenNameSchema } from './api-tokens.js';

/**
 * One entry of the audit trail (`KEYS.audit`, a Redis stream): who changed what through the
 * API, with the value before and after. Written in the same transaction as the change
 * itself, so there is never a change without its entry, nor an entry without its change.
 */
export const AuditEntrySchema = z.object({
  /** Epoch ms. */
  at: z.number().int().nonnegative(),
  actor: TokenNameSchema,
  role: z.enum(ROLES),
  /** `METHOD /path` as requested. */
  route: z.string(),
  requestId: z.string(),
  /** The request body as parsed (large ones summarised, see AUDIT_VALUE_MAX). */
  body: z.unknown(),
  /** The record before and after the change; null where there was none (a creation, a deletion). */
  before: z.unknown(),
  after: z.unknown(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** An entry as `GET /v1/audit` answers it: the stream id is the cursor. */
export const AuditViewSchema = AuditEntrySchema.omit({ at: true }).extend({ id: z.string(), at: z.string() });
export type AuditView = z.infer<typeof AuditViewSchema>;

/** Longest JSON kept for a body or a value; a larger one (a 4 MB priority list) keeps its size and hash. */
export const AUDIT_VALUE_MAX = 64 * 1024;
/** Entries kept on the stream (approximately; the oldest go first). */
export const AUDIT_KEPT = 100_000;

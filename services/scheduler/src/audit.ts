import { createHash } from 'node:crypto';
import { AUDIT_VALUE_MAX, type AuditEntry, type Role } from '@wattbroker/contracts';

/** Who asked for a write and how (from the HTTP request); the use case adds before and after. */
export interface AuditStamp {
  readonly actor: string;
  readonly role: Role;
  readonly route: string;
  readonly requestId: string;
  readonly body: unknown;
}

/** A value as the trail keeps it: itself, or its size and hash when it is too large to keep. */
function kept(v: unknown): unknown {
  if (v === undefined) return null;
  const json = JSON.stringify(v);
  if (json === undefined) return null;
  if (json.length <= AUDIT_VALUE_MAX) return v;
  return { summarised: true, bytes: Buffer.byteLength(json), sha256: createHash('sha256').update(json).digest('hex') };
}

export function auditEntry(stamp: AuditStamp, before: unknown, after: unknown, at: number): AuditEntry {
  return { at, actor: stamp.actor, role: stamp.role, route: stamp.route, requestId: stamp.requestId, body: kept(stamp.body), before: kept(before), after: kept(after) };
}

/** An audit entry for a use case, if the change came through the API. */
export function audited(stamp: AuditStamp | undefined, before: unknown, after: unknown, at: number): AuditEntry | undefined {
  return stamp ? auditEntry(stamp, before, after, at) : undefined;
}

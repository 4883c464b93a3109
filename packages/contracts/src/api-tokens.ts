import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { InputError, type FieldIssue } from './validation.js';

/**
 * Named API tokens, stored hashed. The scheduler is configured with `name:role:sha256hex`
 * entries (or a JSON list of `{name, role, sha256}`): it never holds a token itself, only its
 * SHA-256, so neither a config file, an environment dump nor a log line gives one away.
 * `viewer` reads; `tenant` also submits and cancels its own GPU jobs; `operator` may do
 * everything. Tokens are random strings of 32+ characters (`wattbroker tokens generate`).
 */
export const ROLES = ['viewer', 'tenant', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** Shortest token accepted: a guessable one would make the hash pointless. */
export const MIN_TOKEN_LENGTH = 32;

export const TokenNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'letters, digits and . _ @ - (1 to 64, starting with a letter or digit)');

export const ApiTokenSchema = z.strictObject({
  name: TokenNameSchema,
  role: z.enum(ROLES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the token\'s SHA-256 as 64 lower-case hex digits (wattbroker tokens hash)'),
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;

export const ApiTokenListSchema = z.array(ApiTokenSchema).min(1, 'at least one token');

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Why a token may not be used, or undefined. Never quotes the token. */
export function weakTokenReason(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH) return `a token needs at least ${MIN_TOKEN_LENGTH} characters (wattbroker tokens generate makes one)`;
  if (/change-?me/i.test(token)) return 'the example token from the documentation cannot be used';
  if (/\s/.test(token)) return 'a token cannot contain white space';
  return undefined;
}

/** A new random token: 43 URL-safe characters (256 bits). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export function formatTokenEntry(t: ApiToken): string {
  return `${t.name}:${t.role}:${t.sha256}`;
}

/** Hashes of the example tokens once shipped in infra/scheduler.env.example: refused outright. */
const EXAMPLE_HASHES = new Set(['operator', 'tenant', 'viewer'].map((r) => hashToken(`CHANGE-ME-${r}-token`)));

/**
 * Parse `name:role:sha256hex` entries separated by commas or new lines (`#` starts a comment),
 * or a JSON list of `{name, role, sha256}`. Errors name the entry by its position and the
 * part at fault, never its text: a raw token pasted by mistake must not reach a log.
 */
export function parseTokenEntries(text: string, source: string): ApiToken[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new InputError(source, [{ field: '(file)', message: 'starts with [ but is not a JSON list' }]);
    }
    const r = ApiTokenListSchema.safeParse(json);
    // Zod's messages quote no input for these checks; only the field and the rule are shown.
    if (!r.success) throw new InputError(source, r.error.issues.map((i) => ({ field: i.path.length ? `[${String(i.path[0])}]${i.path.length > 1 ? `.${String(i.path[1])}` : ''}` : '(root)', message: i.message })));
    return checked(r.data, source);
  }
  const entries = trimmed.split(/[,\n]/).map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
  if (entries.length === 0) throw new InputError(source, [{ field: '(root)', message: 'no tokens: give name:role:sha256hex entries' }]);
  const out: ApiToken[] = [];
  const issues: FieldIssue[] = [];
  entries.forEach((entry, i) => {
    const field = `entry ${i + 1}`;
    const parts = entry.split(':');
    if (parts.length !== 3) {
      issues.push({ field, message: `expected name:role:sha256hex (3 parts, found ${parts.length}); store a token's SHA-256, never the token (wattbroker tokens hash)` });
      return;
    }
    const [name, role, sha256] = parts as [string, string, string];
    const r = ApiTokenSchema.safeParse({ name, role, sha256 });
    if (r.success) out.push(r.data);
    else for (const x of r.error.issues) issues.push({ field: `${field} ${String(x.path[0])}`, message: x.message });
  });
  if (issues.length) throw new InputError(source, issues);
  return checked(out, source);
}

function checked(tokens: ApiToken[], source: string): ApiToken[] {
  const issues: FieldIssue[] = [];
  const names = new Set<string>();
  const hashes = new Set<string>();
  tokens.forEach((t, i) => {
    if (names.has(t.name)) issues.push({ field: `entry ${i + 1} name`, message: 'used by an earlier entry; every token needs its own name (it names the actor in the audit trail)' });
    if (hashes.has(t.sha256)) issues.push({ field: `entry ${i + 1} sha256`, message: 'the same token as an earlier entry' });
    if (EXAMPLE_HASHES.has(t.sha256)) issues.push({ field: `entry ${i + 1} sha256`, message: 'the hash of an example token from the documentation' });
    names.add(t.name);
    hashes.add(t.sha256);
  });
  if (issues.length) throw new InputError(source, issues);
  return tokens;
}

/** The configuration entry of a token (what `wattbroker tokens hash` prints). */
export function tokenEntry(name: string, role: Role, token: string): string {
  return formatTokenEntry({ name, role, sha256: hashToken(token) });
}

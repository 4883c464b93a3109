import type { Redis } from 'ioredis';

/**
 * Append-only Redis streams for high-rate, fire-and-forget data (telemetry batches, site
 * samples): one XADD per batch, trimmed to a bounded length; readers block on XREAD from the
 * last id they saw, so a restarted scheduler resumes from what is still in the stream.
 */
export async function appendToStream(redis: Redis, stream: string, value: unknown, maxLen = 100_000): Promise<string> {
  return (await redis.xadd(stream, 'MAXLEN', '~', String(maxLen), '*', 'v', JSON.stringify(value)))!;
}

export interface StreamEntry {
  id: string;
  value: unknown;
}

/** Read entries after `lastId` (`$` = only new ones), waiting up to `blockMs`. */
export async function readStream(redis: Redis, stream: string, lastId: string, blockMs: number, count = 1000): Promise<StreamEntry[]> {
  const res = (await redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, lastId)) as Array<[string, Array<[string, string[]]>]> | null;
  if (!res) return [];
  const out: StreamEntry[] = [];
  for (const [, entries] of res) {
    for (const [id, fields] of entries) {
      const at = fields.indexOf('v');
      let value: unknown = null;
      try {
        value = JSON.parse(fields[at + 1] ?? 'null');
      } catch {
        value = null; // the reader validates; unreadable entries are skipped there
      }
      out.push({ id, value });
    }
  }
  return out;
}

/** Every entry between two ids (inclusive), for reports and tests. */
export async function rangeStream(redis: Redis, stream: string, from = '-', to = '+', count?: number): Promise<StreamEntry[]> {
  const rows = (count === undefined ? await redis.xrange(stream, from, to) : await redis.xrange(stream, from, to, 'COUNT', count)) as Array<[string, string[]]>;
  return rows.map(([id, fields]) => ({ id, value: JSON.parse(fields[fields.indexOf('v') + 1] ?? 'null') as unknown }));
}

import type { Redis } from 'ioredis';

export interface StreamsEntry {
  readonly stream: string;
  readonly id: string;
  /** The entry's `v` field parsed, or null when unreadable (the schema refuses it then). */
  readonly value: unknown;
}

/**
 * The id of a stream's newest entry ('0-0' when it has none or does not exist yet): where a
 * reader that wants only what comes next starts. A reader must not pass `$` to XREAD again
 * and again instead: `$` means "after the newest entry when this call arrives", so whatever
 * was appended between two calls (one returned empty, the next not yet sent) is skipped.
 */
export async function newestStreamId(redis: Redis, stream: string): Promise<string> {
  const last = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
  return last[0]?.[0] ?? '0-0';
}

/**
 * One XREAD over several streams, each from its own last id, waiting up to `blockMs`. With
 * no stream to read yet it waits `blockMs` and returns nothing, so a reader loop does not spin.
 */
export async function readStreams(redis: Redis, from: ReadonlyMap<string, string>, blockMs: number, count = 1000): Promise<StreamsEntry[]> {
  if (from.size === 0) {
    await new Promise((r) => setTimeout(r, blockMs));
    return [];
  }
  const res = (await redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...from.keys(), ...from.values())) as Array<[string, Array<[string, string[]]>]> | null;
  const out: StreamsEntry[] = [];
  for (const [stream, entries] of res ?? []) {
    for (const [id, fields] of entries) {
      let value: unknown = null;
      try {
        value = JSON.parse(fields[fields.indexOf('v') + 1] ?? 'null');
      } catch {
        value = null;
      }
      out.push({ stream, id, value });
    }
  }
  return out;
}

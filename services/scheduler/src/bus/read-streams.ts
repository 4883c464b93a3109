import type { Redis } from 'ioredis';

export interface StreamsEntry {
  readonly stream: string;
  readonly id: string;
  /** The entry's `v` field parsed, or null when unreadable (the schema refuses it then). */
  readonly value: unknown;
}

/**
 * One XREAD over several streams, each from its own last id (`$` = only new ones), waiting
 * up to `blockMs`. With no stream to read yet it waits `blockMs` and returns nothing, so a
 * reader loop does not spin.
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

import type { Redis } from 'ioredis';
import { RESULTS_STREAM_PREFIX, TELEMETRY_STREAM_PREFIX, streamHost } from '@wattbroker/contracts';

/**
 * The hosts that have written a stream of their own (telemetry or results), found with SCAN
 * (never KEYS: it would block Redis on a large keyspace). Host ids cannot hold glob
 * characters (the host file's schema), so the prefix is matched literally.
 */
export async function findHostStreams(redis: Redis): Promise<Set<string>> {
  const hosts = new Set<string>();
  for (const prefix of [TELEMETRY_STREAM_PREFIX, RESULTS_STREAM_PREFIX]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000, 'TYPE', 'stream');
      cursor = next;
      for (const k of keys) {
        const h = streamHost(k);
        if (h) hosts.add(h);
      }
    } while (cursor !== '0');
  }
  return hosts;
}

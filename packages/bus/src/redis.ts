import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * TLS for a `rediss://` URL: the server is verified against the system's CAs, or against
 * `WATTBROKER_REDIS_TLS_CA` (a PEM file) when set; `WATTBROKER_REDIS_TLS_CERT` and
 * `WATTBROKER_REDIS_TLS_KEY` (PEM files) give a client certificate, for a Redis that asks
 * for one (`tls-auth-clients yes`). Undefined for `redis://`. Read from the environment so
 * that every connection of a process (BullMQ's included) is opened alike.
 */
export function redisTls(url: string, env: NodeJS.ProcessEnv = process.env): ConnectionOptions | undefined {
  if (!url.startsWith('rediss://')) return undefined;
  const file = (name: string) => {
    const path = env[name];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`${name}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const ca = file('WATTBROKER_REDIS_TLS_CA');
  const cert = file('WATTBROKER_REDIS_TLS_CERT');
  const key = file('WATTBROKER_REDIS_TLS_KEY');
  if ((cert === undefined) !== (key === undefined)) throw new Error('WATTBROKER_REDIS_TLS_CERT and WATTBROKER_REDIS_TLS_KEY: give both or neither');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/**
 * One way to open Redis connections. BullMQ workers block on Redis and need
 * `maxRetriesPerRequest: null`; everything else gets the same so that a Redis restart is
 * ridden out rather than surfacing as request errors in the middle of a control step.
 * The URL carries the user and password (`redis://agent-asic-1:…@host:6379`, as
 * `wattbroker acl generate` writes it); `rediss://` is TLS (see `redisTls`).
 */
export function openRedis(url: string, extra: RedisOptions = {}): Redis {
  const tls = redisTls(url);
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...(tls ? { tls } : {}), ...extra });
}

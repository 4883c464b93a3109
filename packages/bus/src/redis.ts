import { Redis, type RedisOptions } from 'ioredis';

/**
 * One way to open Redis connections. BullMQ workers block on Redis and need
 * `maxRetriesPerRequest: null`; everything else gets the same so that a Redis restart is
 * ridden out rather than surfacing as request errors in the middle of a control step.
 */
export function openRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...extra });
}

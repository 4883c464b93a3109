import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SCHEDULER_USER, aclFile, agentUser, newCredentials, openRedis, startEmbeddedRedis, withCredentials, type EmbeddedRedis, type SiteCredentials } from '@wattbroker/bus';
import { BULL_PREFIX, KEYS, agentEpochKey, commandQueue } from '@wattbroker/contracts';

/**
 * The site's ACL file and Redis's append-only file together: a Redis restarted from its AOF
 * must give back what transactions and scripts wrote (the scheduler's fenced writes are Lua,
 * BullMQ's queues are Lua, the store's batches MULTI/EXEC). Redis (7.0 and 7.2 at least)
 * replays a transaction as the default user and checks its permissions at EXEC, dropping the
 * whole transaction, silently, when the default user may run nothing: the file must not do
 * that, and the default user must still let nobody in.
 */
describe('security: a Redis with the site\'s ACL file restarted from its AOF (private redis-server)', () => {
  let dir: string;
  let credentials: SiteCredentials;
  let redis: EmbeddedRedis;
  let acl: { file: string; user: string; password: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wattbroker-acl-aof-'));
    credentials = newCredentials(['asic-1']);
    acl = { file: join(dir, 'users.acl'), user: SCHEDULER_USER, password: credentials.scheduler };
    writeFileSync(acl.file, aclFile(credentials), { mode: 0o600 });
    redis = await startEmbeddedRedis({ dir: join(dir, 'redis'), acl });
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps MULTI/EXEC, Lua and BullMQ writes across a restart, and the default user lets nobody in', async () => {
    const agentUrl = withCredentials(`redis://127.0.0.1:${redis.port}`, agentUser('asic-1'), credentials.agents.get('asic-1')!);
    const scheduler = openRedis(redis.url);
    const agent = openRedis(agentUrl);
    const queue = new Queue(commandQueue('asic-1'), { connection: scheduler, prefix: BULL_PREFIX });
    try {
      await scheduler.multi().hset(KEYS.jobs, 'job-1', '{"id":"job-1"}').sadd(KEYS.activeJobs, 'job-1').exec();
      await scheduler.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, KEYS.epoch, '42');
      await queue.add('desired', { hostId: 'asic-1', n: 1 }, { jobId: 'cmd-1' });
      await agent.set(agentEpochKey('asic-1'), '42');
    } finally {
      await queue.close();
      scheduler.disconnect();
      agent.disconnect();
    }

    const { port, dir: dataDir } = redis;
    await redis.stop();
    redis = await startEmbeddedRedis({ dir: dataDir, port, acl });

    const again = openRedis(redis.url);
    const queueAgain = new Queue(commandQueue('asic-1'), { connection: again, prefix: BULL_PREFIX });
    try {
      expect(await again.hget(KEYS.jobs, 'job-1'), 'a MULTI/EXEC write').toBe('{"id":"job-1"}');
      expect(await again.sismember(KEYS.activeJobs, 'job-1')).toBe(1);
      expect(await again.get(KEYS.epoch), 'a Lua script\'s write').toBe('42');
      expect((await queueAgain.getJob('cmd-1'))?.data, 'a BullMQ job').toEqual({ hostId: 'asic-1', n: 1 });
      expect(await again.get(agentEpochKey('asic-1')), 'a plain write').toBe('42');
    } finally {
      await queueAgain.close();
      again.disconnect();
    }

    // No password, or any password, as the default user: refused.
    const anonymous = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    anonymous.on('error', () => undefined);
    try {
      await anonymous.connect();
      await expect(anonymous.get(KEYS.epoch)).rejects.toThrow(/NOAUTH/);
      await expect(anonymous.call('AUTH', 'default', 'anything')).rejects.toThrow(/WRONGPASS|disabled/);
      await expect(anonymous.call('AUTH', 'default', '')).rejects.toThrow(/WRONGPASS|disabled/);
    } finally {
      anonymous.disconnect();
    }
  });
});

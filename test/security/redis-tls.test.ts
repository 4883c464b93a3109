import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { SCHEDULER_USER, aclFile, agentUser, newCredentials, openRedis, redisTls, startEmbeddedRedis, withCredentials, type EmbeddedRedis, type SiteCredentials } from '@wattbroker/bus';
import { BULL_PREFIX, commandQueue, telemetryStream } from '@wattbroker/contracts';
import { repoRoot } from '@wattbroker/testkit';

const fixtures = join(repoRoot, 'test/fixtures/tls');
const pem = (name: string) => join(fixtures, name);

/**
 * The bus over TLS (`rediss://`): a private redis-server that speaks only TLS and asks every
 * client for a certificate, with ACLs on. Agents and the scheduler find the CA and their
 * certificate through WATTBROKER_REDIS_TLS_{CA,CERT,KEY}; BullMQ works over it unchanged.
 */
describe('security: Redis over TLS with client certificates (private redis-server)', () => {
  let redis: EmbeddedRedis;
  let credentials: SiteCredentials;
  let dir: string;
  const env = { WATTBROKER_REDIS_TLS_CA: pem('ca.crt'), WATTBROKER_REDIS_TLS_CERT: pem('client.crt'), WATTBROKER_REDIS_TLS_KEY: pem('client.key') };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wattbroker-tls-'));
    credentials = newCredentials(['asic-1']);
    writeFileSync(join(dir, 'users.acl'), aclFile(credentials));
    redis = await startEmbeddedRedis({
      appendOnly: false, acl: { file: join(dir, 'users.acl'), user: SCHEDULER_USER, password: credentials.scheduler },
      tls: { cert: pem('server.crt'), key: pem('server.key'), ca: pem('ca.crt') },
    });
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries BullMQ commands and streams for an agent\'s ACL user', async () => {
    expect(redis.url).toMatch(/^rediss:\/\//);
    const agentUrl = withCredentials(`rediss://127.0.0.1:${redis.port}`, agentUser('asic-1'), credentials.agents.get('asic-1')!);
    const tls = redisTls(agentUrl, env)!;
    const scheduler = openRedis(redis.url, { tls: redisTls(redis.url, env)! });
    const agent = openRedis(agentUrl, { tls });
    const events = openRedis(redis.url, { tls: redisTls(redis.url, env)! });
    const queue = new Queue(commandQueue('asic-1'), { connection: scheduler, prefix: BULL_PREFIX });
    const queueEvents = new QueueEvents(commandQueue('asic-1'), { connection: events, prefix: BULL_PREFIX });
    const workerConnection = openRedis(agentUrl, { tls });
    const worker = new Worker(commandQueue('asic-1'), async (job) => ({ echoed: job.data as unknown }), { connection: workerConnection, prefix: BULL_PREFIX });
    try {
      await queueEvents.waitUntilReady();
      const job = await queue.add('desired', { n: 1 });
      expect(await job.waitUntilFinished(queueEvents, 10_000)).toEqual({ echoed: { n: 1 } });
      expect(await agent.xadd(telemetryStream('asic-1'), '*', 'v', '{}')).toBeTruthy();
      await expect(agent.xadd(telemetryStream('asic-2'), '*', 'v', '{}')).rejects.toThrow(/NOPERM/);
    } finally {
      await worker.close();
      await queueEvents.close();
      await queue.close();
      for (const c of [scheduler, agent, events, workerConnection]) c.disconnect();
    }
  });

  it('refuses a client without a certificate, one that trusts another CA, and plain redis://', async () => {
    const tryConnect = async (url: string, opts: Parameters<typeof openRedis>[1]) => {
      const r = openRedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false, ...opts });
      let first: string | undefined; // the TLS layer's reason comes as an error event
      r.on('error', (e: Error) => {
        first ??= e.message;
      });
      try {
        await r.connect();
        return await r.ping();
      } catch (e) {
        return `refused: ${first ?? (e as Error).message}`;
      } finally {
        r.disconnect();
      }
    };
    const url = `rediss://127.0.0.1:${redis.port}`;
    // With the CA and a client certificate the handshake passes and Redis itself answers
    // (asking for a login: the default user is off); without, the TLS layer refuses first.
    expect(await tryConnect(url, { tls: redisTls(url, env)! })).toMatch(/^refused: NOAUTH/);
    const noCert = await tryConnect(url, { tls: redisTls(url, { WATTBROKER_REDIS_TLS_CA: pem('ca.crt') })! });
    expect(noCert).toMatch(/^refused/);
    expect(noCert).not.toMatch(/NOAUTH/);
    expect(await tryConnect(url, { tls: redisTls(url, { ...env, WATTBROKER_REDIS_TLS_CA: pem('other-ca.crt') })! })).toMatch(/^refused: .*(certificate|self.signed)/i);
    const plain = await tryConnect(`redis://127.0.0.1:${redis.port}`, { connectTimeout: 2000 });
    expect(plain).toMatch(/^refused/);
    expect(plain).not.toMatch(/NOAUTH/);
  });

  it('names a TLS setting that cannot be used', () => {
    expect(() => redisTls('rediss://h:1', { WATTBROKER_REDIS_TLS_CA: join(dir, 'missing.pem') })).toThrow(/WATTBROKER_REDIS_TLS_CA: cannot read .*missing\.pem: ENOENT/);
    expect(() => redisTls('rediss://h:1', { WATTBROKER_REDIS_TLS_CERT: pem('client.crt') })).toThrow(/give both or neither/);
    expect(redisTls('redis://h:1', env)).toBeUndefined();
  });
});

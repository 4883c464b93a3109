import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { Agent, AsicHost, GpuHost, type AgentEvents } from '@wattbroker/agent';
import { SCHEDULER_USER, aclFile, agentUser, newCredentials, openRedis, startEmbeddedRedis, withCredentials, type EmbeddedRedis, type SiteCredentials } from '@wattbroker/bus';
import { AgentMessageSchema, BULL_PREFIX, KEYS, agentArmedKey, agentEpochKey, agentFallbackKey, commandQueue, resultsStream, telemetryStream, TelemetryBatchSchema, type AgentMessage, type HostConfig, type TelemetryBatch } from '@wattbroker/contracts';
import { EmulatedGpuDriver } from '@wattbroker/drivers';
import type { SimSite } from '@wattbroker/miner-sim';
import { nextEvent, waitFor } from '@wattbroker/testkit';
import { startSimWithHttp, type SimWithHttp } from '../src/sim.js';

type Payload<K extends keyof AgentEvents> = AgentEvents[K][0];
type Result = Extract<AgentMessage, { type: 'result' }>;

/** The next `name` event of the agent matching `match`; subscribe before causing it. */
function agentEvent<K extends keyof AgentEvents>(agent: Agent, name: K, match: (e: Payload<K>) => boolean = () => true, timeoutMs = 10_000): Promise<Payload<K>> {
  const p = nextEvent<Payload<K>>(agent, name, match, timeoutMs);
  p.catch(() => undefined); // a test that fails before awaiting it reports its own failure, not this one
  return p;
}

/**
 * Agents in this process against a private redis-server and emulated miners over TCP. Every
 * test gets a fresh emulated site, no agent state in Redis (epoch, armed sheds) and empty
 * command queues, so none depends on what another did before it.
 */
describe('agent', () => {
  let redis: EmbeddedRedis;
  let site: SimSite;
  let sim: SimWithHttp;
  let credentials: SiteCredentials;
  let aclDir = '';
  let reading = true;
  let reader: Promise<void> | undefined;
  let r: Redis;
  /** What the agents sent on their results streams since the test began, and each as it arrives. */
  const messages: AgentMessage[] = [];
  const inbox = new EventEmitter<{ message: [AgentMessage] }>();
  const logger = pino({ level: 'silent' });
  const connections: Redis[] = [];
  const conn = () => {
    const c = openRedis(redis.url);
    connections.push(c);
    return c;
  };
  const hosts = ['rack-1', 'gpu-x'];

  /** Where agent `hostId` logs in: as its own ACL user, as in production. */
  const agentUrl = (hostId: string) => withCredentials(`redis://127.0.0.1:${redis.port}`, agentUser(hostId), credentials.agents.get(hostId)!);

  beforeAll(async () => {
    credentials = newCredentials(hosts);
    aclDir = mkdtempSync(join(tmpdir(), 'wattbroker-agent-test-'));
    const dir = aclDir;
    writeFileSync(join(dir, 'users.acl'), aclFile(credentials));
    redis = await startEmbeddedRedis({ appendOnly: false, acl: { file: join(dir, 'users.acl'), user: SCHEDULER_USER, password: credentials.scheduler } });
    r = conn();
    const blocking = conn();
    const from = new Map(hosts.map((h) => [resultsStream(h), '$']));
    reader = (async () => {
      while (reading) {
        const res = (await blocking.xread('BLOCK', 100, 'STREAMS', ...from.keys(), ...from.values()).catch(() => null)) as Array<[string, Array<[string, string[]]>]> | null;
        for (const [stream, entries] of res ?? []) {
          for (const [id, f] of entries) {
            from.set(stream, id);
            const m = AgentMessageSchema.parse(JSON.parse(f[1]!));
            messages.push(m);
            inbox.emit('message', m);
          }
        }
      }
    })();
  }, 30_000);
  afterAll(async () => {
    reading = false;
    await reader;
    for (const c of connections) c.disconnect();
    await redis?.stop();
    rmSync(aclDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    sim = await startSimWithHttp({ miners: 3, models: ['s19kpro'], speed: 50, seed: 8, gpuHosts: [{ id: 'gpu-x', gpus: 2, model: 'h100', overheadW: 400 }] });
    site = sim.site;
    messages.length = 0;
    await r.del(...hosts.flatMap((h) => [agentEpochKey(h), agentArmedKey(h), agentFallbackKey(h)]));
    // The site's epoch, as a leader would have set it: commands are believed up to it.
    await r.set(KEYS.epoch, '100');
    for (const h of hosts) {
      const q = new Queue(commandQueue(h), { connection: conn(), prefix: BULL_PREFIX });
      await q.obliterate({ force: true });
      await q.close();
    }
  }, 30_000);
  afterEach(() => sim?.stop());

  const asicConfig = (): HostConfig => ({
    hostId: 'rack-1', kind: 'asic', concurrency: 4, hostOverheadW: 0, fastWake: true,
    miners: site.miners.map((m, i) => ({ id: `m${i}`, driver: 'luxos' as const, host: '127.0.0.1', port: m.port })),
  });
  /** The first message the agents sent since the test began that matches, as soon as it is there. */
  const received = async <T extends AgentMessage>(what: string, match: (m: AgentMessage) => m is T, timeoutMs = 10_000): Promise<T> => {
    const seen = messages.find(match);
    if (seen) return seen;
    try {
      return await nextEvent<AgentMessage>(inbox, 'message', match, timeoutMs) as T;
    } catch {
      throw new Error(`no ${what} within ${timeoutMs} ms`);
    }
  };
  /** rack-1's telemetry batch with sequence number `seq`, from the telemetry stream. */
  const batch = async (seq: number): Promise<TelemetryBatch> => {
    const entries = (await r.xrevrange(telemetryStream('rack-1'), '+', '-', 'COUNT', 50)) as Array<[string, string[]]>;
    const batches = entries.map(([, f]) => TelemetryBatchSchema.parse(JSON.parse(f[1]!)));
    const b = batches.find((x) => x.hostId === 'rack-1' && x.seq === seq);
    if (!b) throw new Error(`no telemetry batch ${seq} of rack-1 on the stream`);
    return b;
  };
  /** The first telemetry batch the agent publishes from now on that matches (within 3 rounds). */
  const batchWhere = async (agent: Agent, match: (b: TelemetryBatch) => boolean): Promise<TelemetryBatch> => {
    for (let round = 0; round < 3; round++) {
      const b = await batch((await agentEvent(agent, 'telemetry')).seq);
      if (match(b)) return b;
    }
    throw new Error('no matching telemetry batch in 3 rounds');
  };
  const resultFor = (commandId: string) => received(`result of ${commandId}`, (m): m is Result => m.type === 'result' && m.commandId === commandId);

  it('registers its miners with their profile tables, applies desired state, and ignores a stale epoch', async () => {
    const config = asicConfig();
    const agent = new Agent({ config, redisUrl: agentUrl(config.hostId), devices: new AsicHost(config as Extract<HostConfig, { kind: 'asic' }>), logger, telemetryIntervalMs: 200 });
    await agent.start();
    const q = new Queue(commandQueue('rack-1'), { connection: conn(), prefix: BULL_PREFIX });
    try {
      const reg = await received('registration', (m): m is Extract<AgentMessage, { type: 'register' }> => m.type === 'register' && m.hostId === 'rack-1');
      expect(reg.type === 'register' && reg.devices.map((d) => d.id)).toEqual(['m0', 'm1', 'm2']);
      expect(reg.type === 'register' && reg.devices[0]!.kind === 'asic' && reg.devices[0]!.profiles).toHaveLength(26);

      await q.add('desired', { commandId: 'c1', hostId: 'rack-1', epoch: 5, issuedAt: Date.now(), devices: { m0: { kind: 'asic', profile: '440MHz' }, m1: { kind: 'asic', profile: 'sleep' } } });
      expect((await resultFor('c1')).devices).toMatchObject({ m0: { ok: true }, m1: { ok: true } });
      await waitFor('m0 at 440MHz', () => site.miners[0]!.truth().profile === '440MHz' && site.miners[1]!.truth().state === 'sleeping');

      await q.add('desired', { commandId: 'c2', hostId: 'rack-1', epoch: 4, issuedAt: Date.now(), devices: { m0: { kind: 'asic', profile: '190MHz' } } });
      expect(await resultFor('c2')).toMatchObject({ stale: true, devices: {} });
      expect(site.miners[0]!.truth().profile).toBe('440MHz');

      // A new leader (higher epoch) is obeyed, and the epoch survives a restart of the agent.
      await q.add('desired', { commandId: 'c3', hostId: 'rack-1', epoch: 6, issuedAt: Date.now(), devices: { m1: { kind: 'asic', profile: 'default' } } });
      expect((await resultFor('c3')).stale).toBe(false);
      expect(await r.get(agentEpochKey('rack-1'))).toBe('6');
    } finally {
      await q.close();
      await agent.stop();
    }
  });

  it('believes no epoch above the site\'s (leader-written) epoch: such a command fails, changes nothing and is not adopted', async () => {
    const config = asicConfig();
    await r.set(agentEpochKey('rack-1'), '6');
    const agent = new Agent({ config, redisUrl: agentUrl(config.hostId), devices: new AsicHost(config as Extract<HostConfig, { kind: 'asic' }>), logger });
    await agent.start();
    const q = new Queue(commandQueue('rack-1'), { connection: conn(), prefix: BULL_PREFIX });
    const events = new QueueEvents(commandQueue('rack-1'), { connection: conn(), prefix: BULL_PREFIX });
    try {
      await events.waitUntilReady();
      const before = site.miners[2]!.truth().profile;
      const forged = await q.add('desired', { commandId: 'jump', hostId: 'rack-1', epoch: 2 ** 52, issuedAt: Date.now(), devices: { m2: { kind: 'asic', profile: 'sleep' } } });
      await expect(forged.waitUntilFinished(events, 10_000)).rejects.toThrow(/invalid command: epoch: 4503599627370496 is above the site's epoch 100/);
      const fallback = await q.add('fallback', { hostId: 'rack-1', epoch: 101, issuedAt: Date.now(), afterMs: 1000, devices: { m2: { kind: 'asic', profile: 'sleep' } } });
      await expect(fallback.waitUntilFinished(events, 10_000)).rejects.toThrow(/invalid fallback command: epoch: 101 is above the site's epoch 100/);
      expect(site.miners[2]!.truth().profile).toBe(before);
      expect(await r.get(agentEpochKey('rack-1'))).toBe('6');
      // The site's own epoch (a new leader's) is obeyed and adopted.
      await q.add('desired', { commandId: 'leader', hostId: 'rack-1', epoch: 100, issuedAt: Date.now(), devices: { m0: { kind: 'asic', profile: 'default' } } });
      expect((await resultFor('leader')).stale).toBe(false);
      expect(await r.get(agentEpochKey('rack-1'))).toBe('100');
    } finally {
      await events.close();
      await q.close();
      await agent.stop();
    }
  });

  it('rejects a malformed command naming the field, and changes nothing', async () => {
    const config = asicConfig();
    await r.set(agentEpochKey('rack-1'), '6');
    const agent = new Agent({ config, redisUrl: agentUrl(config.hostId), devices: new AsicHost(config as Extract<HostConfig, { kind: 'asic' }>), logger });
    await agent.start();
    const q = new Queue(commandQueue('rack-1'), { connection: conn(), prefix: BULL_PREFIX });
    const events = new QueueEvents(commandQueue('rack-1'), { connection: conn(), prefix: BULL_PREFIX });
    try {
      await events.waitUntilReady();
      const before = site.miners[2]!.truth().profile;
      const job = await q.add('desired', { commandId: 'bad', hostId: 'rack-1', epoch: 9, issuedAt: Date.now(), devices: { m2: { kind: 'asic', profile: 7 } } });
      await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/invalid command: devices\.m2\.profile: /);
      expect(site.miners[2]!.truth().profile).toBe(before);
      expect(await r.get(agentEpochKey('rack-1'))).toBe('6'); // not the bad command's 9
    } finally {
      await events.close();
      await q.close();
      await agent.stop();
    }
  });

  it('executes a pre-armed grid shed at its start on its own, lowering only', async () => {
    const config = asicConfig();
    const agent = new Agent({ config, redisUrl: agentUrl(config.hostId), devices: new AsicHost(config as Extract<HostConfig, { kind: 'asic' }>), logger });
    await agent.start();
    const q = new Queue(commandQueue('rack-1'), { connection: conn(), prefix: BULL_PREFIX });
    try {
      const m1Before = site.miners[1]!.truth().profile;
      expect(site.miners[2]!.truth().state).not.toBe('sleeping');
      const armed = agentEvent(agent, 'armed', (e) => e.eventId === 'ev-1');
      const shed = agentEvent(agent, 'shed', (e) => e.eventId === 'ev-1');
      const startsAt = Date.now() + 3000;
      // No scheduler is listening from here on: only the agent acts.
      await q.add('arm', { eventId: 'ev-1', hostId: 'rack-1', epoch: 6, startsAt, endsAt: startsAt + 60_000, devices: { m2: { kind: 'asic', profile: 'sleep' }, m1: { kind: 'asic', profile: '740MHz' } } });
      const a = await armed;
      expect([...a.devices].sort()).toEqual(['m1', 'm2']);
      expect(a.nextWakeInMs).toBeLessThanOrEqual(3000); // a timer until the start
      expect(await r.hget(agentArmedKey('rack-1'), 'ev-1')).not.toBeNull(); // held across a restart
      // Armed, not fired (checked only while the start is still ahead: a loaded machine may
      // deliver the arm late; the shed's own time is checked against the start below).
      if (Date.now() < startsAt - 100) expect(site.miners[2]!.truth().state).not.toBe('sleeping');
      const s = await shed;
      expect(s.at).toBeGreaterThanOrEqual(startsAt); // not before the start
      expect(s.applied).toContain('m2');
      await waitFor('m2 asleep', () => site.miners[2]!.truth().state === 'sleeping');
      expect(site.miners[1]!.truth().profile).toBe(m1Before); // a raise is never executed on its own
      expect(await r.hget(agentArmedKey('rack-1'), 'ev-1')).toBeNull();
    } finally {
      await q.close();
      await agent.stop();
    }
  });

  it('keeps a shed armed for an event further ahead than setTimeout can wait (24.8 days), instead of firing it at once', async () => {
    const config = asicConfig();
    const agent = new Agent({ config, redisUrl: agentUrl(config.hostId), devices: new AsicHost(config as Extract<HostConfig, { kind: 'asic' }>), logger });
    await agent.start();
    const q = new Queue(commandQueue('rack-1'), { connection: conn(), prefix: BULL_PREFIX });
    const sheds: string[] = [];
    agent.on('shed', (e) => sheds.push(e.eventId));
    try {
      const armed = agentEvent(agent, 'armed', (e) => e.eventId === 'ev-far');
      const startsAt = Date.now() + 30 * 86_400_000;
      await q.add('arm', { eventId: 'ev-far', hostId: 'rack-1', epoch: 6, startsAt, endsAt: startsAt + 3_600_000, devices: { m0: { kind: 'asic', profile: 'sleep' } } });
      // Held with a timer at the longest wait a timer can take (it re-arms then), not one that
      // overflows and fires at once.
      expect((await armed).nextWakeInMs).toBe(2 ** 31 - 1);
      // Two telemetry rounds (a second each) later, it has still not fired.
      const first = await agentEvent(agent, 'telemetry');
      await agentEvent(agent, 'telemetry', (t) => t.seq > first.seq);
      expect(sheds).toEqual([]);
      expect(await r.hget(agentArmedKey('rack-1'), 'ev-far')).not.toBeNull(); // not fired (and so not dropped)
      expect(site.miners[0]!.truth().state).not.toBe('sleeping');
      // Disarmed as the scheduler does when the event is deleted (an already-ended plan).
      const disarmed = agentEvent(agent, 'disarmed', (e) => e.eventId === 'ev-far');
      await q.add('arm', { eventId: 'ev-far', hostId: 'rack-1', epoch: 6, startsAt: 0, endsAt: 0, devices: {} });
      await disarmed;
      expect(await r.hget(agentArmedKey('rack-1'), 'ev-far')).toBeNull();
      expect(sheds).toEqual([]);
    } finally {
      await q.close();
      await agent.stop();
    }
  });

  it('applies its fallback on its own when no leader is heard for afterMs (lowering only), and leaves it when a leader speaks', async () => {
    const config = asicConfig();
    const agent = new Agent({ config, redisUrl: agentUrl(config.hostId), devices: new AsicHost(config as Extract<HostConfig, { kind: 'asic' }>), logger, telemetryIntervalMs: 200 });
    await agent.start();
    const q = new Queue(commandQueue('rack-1'), { connection: conn(), prefix: BULL_PREFIX });
    try {
      // m0 high, m1 low: the fallback asks both for 465MHz, so only m0 may move.
      await q.add('desired', { commandId: 'f0', hostId: 'rack-1', epoch: 3, issuedAt: Date.now(), devices: { m0: { kind: 'asic', profile: '740MHz' }, m1: { kind: 'asic', profile: '190MHz' } } });
      await resultFor('f0');
      await waitFor('m0 up, m1 down', () => site.miners[0]!.truth().profile === '740MHz' && site.miners[1]!.truth().profile === '190MHz');
      const fellBack = agentEvent(agent, 'fallback');
      const sentAt = Date.now();
      await q.add('fallback', { hostId: 'rack-1', epoch: 3, issuedAt: sentAt, afterMs: 1500, devices: { m0: { kind: 'asic', profile: '465MHz' }, m1: { kind: 'asic', profile: '465MHz' } } });
      const e = await fellBack;
      // Not before the leader has been silent for afterMs (its fallback counts as hearing it).
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1500);
      expect([...e.devices].sort()).toEqual(['m0', 'm1']);
      await waitFor('m0 lowered to the fallback', () => site.miners[0]!.truth().profile === '465MHz');
      expect(site.miners[1]!.truth().profile).toBe('190MHz'); // never raised on its own
      expect(await r.get(agentFallbackKey('rack-1'))).not.toBeNull(); // held across a restart
      // Its telemetry says so while it lasts.
      // (a round read before the fallback may still be on its way: the next ones say so)
      const inFallback = await batchWhere(agent, (b) => b.fallback === true);
      expect(inFallback.devices.find((d) => d.id === 'm0')).toMatchObject({ profile: '465MHz' });
      // A leader speaks again: it is in charge (its raise is obeyed) and the fallback is over.
      await q.add('desired', { commandId: 'f1', hostId: 'rack-1', epoch: 3, issuedAt: Date.now(), devices: { m1: { kind: 'asic', profile: '440MHz' } } });
      expect((await resultFor('f1')).devices.m1).toMatchObject({ ok: true });
      // (and keeps re-sending its fallback, as a leader does, so silence does not return)
      await q.add('fallback', { hostId: 'rack-1', epoch: 3, issuedAt: Date.now(), afterMs: 60_000, devices: { m0: { kind: 'asic', profile: '465MHz' } } });
      await waitFor('m1 raised by the leader', () => site.miners[1]!.truth().profile === '440MHz');
      const back = await batchWhere(agent, (b) => b.fallback === undefined);
      expect((await batch((await agentEvent(agent, 'telemetry', (t) => t.seq > back.seq)).seq)).fallback).toBeUndefined();
    } finally {
      await q.close();
      await agent.stop();
    }
  }, 20_000);

  it('takes a shed while an earlier command is still writing, and the newest target wins per miner', async () => {
    // One exchange at a time on this host, and m0 answers slowly: the first command's write
    // to m0 takes a second or more, with its write to m1 still waiting behind it.
    const config = { ...asicConfig(), concurrency: 1 } as Extract<HostConfig, { kind: 'asic' }>;
    await site.setFaults(0, { slowMs: 300 });
    const agent = new Agent({ config, redisUrl: agentUrl(config.hostId), devices: new AsicHost(config), logger, telemetryIntervalMs: 60_000 });
    await agent.start();
    const q = new Queue(commandQueue('rack-1'), { connection: conn(), prefix: BULL_PREFIX });
    try {
      const raise = await q.add('desired', { commandId: 'r1', hostId: 'rack-1', epoch: 7, issuedAt: Date.now(), devices: { m0: { kind: 'asic', profile: '465MHz' }, m1: { kind: 'asic', profile: '465MHz' } } });
      await waitFor('r1 taken', async () => (await raise.getState()) === 'active');
      await q.add('desired', { commandId: 's1', hostId: 'rack-1', epoch: 7, issuedAt: Date.now(), devices: { m1: { kind: 'asic', profile: 'sleep' } } });
      const [r1, s1] = [await resultFor('r1'), await resultFor('s1')];
      // The shed was taken while the raise was still writing, not after it.
      expect(s1.receivedAt!).toBeLessThan(r1.sentAt);
      expect(r1.devices.m0).toMatchObject({ ok: true });
      expect(r1.devices.m1).toEqual({ ok: true, confirmed: false, superseded: true });
      expect(s1.devices.m1).toMatchObject({ ok: true });
      await waitFor('m1 asleep', () => site.miners[1]!.truth().state === 'sleeping');
      expect(site.miners[1]!.truth().profile).not.toBe('465MHz'); // the raise never reached it
      expect(site.miners[0]!.truth().profile).toBe('465MHz');
    } finally {
      await site.setFaults(0, { slowMs: 0 });
      await q.close();
      await agent.stop();
    }
  });

  it('runs a GPU job that calls an inference server, with the limit set first, and reports it done', async () => {
    const driver = new EmulatedGpuDriver({ url: sim.url, hostId: 'gpu-x' });
    const limitsSeen: number[] = [];
    const busySeen: boolean[] = [];
    const cards = site.gpuHost('gpu-x')!.gpus;
    const server: Server = createServer((req, res) => {
      void driver.read().then((g) => {
        limitsSeen.push(g[0]!.powerLimitW, g[1]!.powerLimitW);
        req.resume();
        setTimeout(() => {
          busySeen.push(cards[0]!.busy, cards[1]!.busy); // the job loads the emulated cards while it runs
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { content: 'hi' } }] }));
        }, 300);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const config: HostConfig = {
      hostId: 'gpu-x', kind: 'gpu', hostOverheadW: 400, emulatorUrl: sim.url,
      endpoints: { llm: `http://127.0.0.1:${port}/` }, maxResponseBytes: 65_536,
      gpus: [{ id: 'x0', driver: 'emulated', index: 0, model: 'h100' }, { id: 'x1', driver: 'emulated', index: 1, model: 'h100' }],
    };
    const agent = new Agent({ config, redisUrl: agentUrl(config.hostId), devices: new GpuHost(config as Extract<HostConfig, { kind: 'gpu' }>, driver), logger });
    await agent.start();
    const q = new Queue(commandQueue('gpu-x'), { connection: conn(), prefix: BULL_PREFIX });
    try {
      const job = { id: 'job-http', workload: { endpoint: 'llm', path: '/v1/chat/completions', method: 'POST' as const, body: { model: 'm', messages: [] }, timeoutS: 10 } };
      await q.add('desired', { commandId: 'g1', hostId: 'gpu-x', epoch: 1, issuedAt: Date.now(), devices: { x0: { kind: 'gpu', powerLimitW: 450, job }, x1: { kind: 'gpu', powerLimitW: 450, job } } });
      const done = await received('job-http done', (m): m is Extract<AgentMessage, { type: 'job' }> => m.type === 'job' && m.jobId === 'job-http');
      expect(done).toMatchObject({ state: 'done', hostId: 'gpu-x' });
      expect(limitsSeen).toEqual([450, 450]);
      expect(busySeen).toEqual([true, true]);
      await waitFor('cards idle after the job', () => !cards[0]!.busy && !cards[1]!.busy);
    } finally {
      await q.close();
      await agent.stop();
      server.close();
    }
  });
});

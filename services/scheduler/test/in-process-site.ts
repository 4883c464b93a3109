import type { Server } from 'node:http';
import { Worker } from 'bullmq';
import { pino, type Logger } from 'pino';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SCHEDULER_USER, aclFile, agentUser, appendToStream, newCredentials, openRedis, startEmbeddedRedis, withCredentials, type EmbeddedRedis,
} from '@wattbroker/bus';
import {
  AgentCommandSchema, BULL_PREFIX, tokenEntry, commandQueue, resultsStream, telemetryStream, type AgentMessage, type DeviceInventory, type DeviceReading, type Registration,
} from '@wattbroker/contracts';
import { GPU_MODELS, generateFleet, plannerProfiles } from '@wattbroker/core';
import { VirtualClock, nextEvent } from '@wattbroker/testkit';
import { Scheduler, createApi, parseTokens, type ApiOptions } from '../src/index.js';

const EVENT_WAIT_MS = 60_000;

export const OPERATOR = 'operator-test-token-000000000000';
export const TENANT = 'tenant-test-token-0000000000000000';
/** A second tenant: sees and cancels none of the first one's jobs. */
export const TENANT_B = 'tenant-b-test-token-00000000000000';
export const VIEWER = 'viewer-test-token-0000000000000000';
/** The entries the API is configured with (the tokens' names are the actors of the audit trail). */
export const TEST_TOKENS = [
  tokenEntry('ops', 'operator', OPERATOR), tokenEntry('tenant-a', 'tenant', TENANT),
  tokenEntry('tenant-b', 'tenant', TENANT_B), tokenEntry('watcher', 'viewer', VIEWER),
].join(',');

interface Device { inv: DeviceInventory; reading: DeviceReading }

/**
 * The scheduler in this process, on a virtual clock, with a real private Redis (ACLs on) and BullMQ,
 * and its REST API on a loopback port. Its agents are played by the test: they take commands
 * off the real host queues and obey at once, report results on the real results streams, and
 * publish telemetry on the real streams whenever the test says (`heartbeat`), so that hosts
 * are live on the virtual clock exactly when the test wants.
 */
export async function startInProcessSite(opts: { miners: number; gpuHosts: Array<{ id: string; gpus: number }>; capW: number; coolingFraction?: number; api?: ApiOptions; logger?: Logger; leaseTtlMs?: number }) {
  // ACLs on, as in production: the scheduler and each played agent log in as their own users.
  const hostIds = ['asic-1', ...opts.gpuHosts.map((g) => g.id)];
  const credentials = newCredentials(hostIds);
  const aclDir = mkdtempSync(join(tmpdir(), 'wattbroker-inproc-'));
  writeFileSync(join(aclDir, 'users.acl'), aclFile(credentials));
  const redis: EmbeddedRedis = await startEmbeddedRedis({ appendOnly: false, acl: { file: join(aclDir, 'users.acl'), user: SCHEDULER_USER, password: credentials.scheduler } });
  const agentConnection = (hostId: string) => openRedis(withCredentials(`redis://127.0.0.1:${redis.port}`, agentUser(hostId), credentials.agents.get(hostId)!));
  const clock = new VirtualClock(Date.now());
  const logger = opts.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const s = new Scheduler({
    redisUrl: redis.url, logger, contractCapW: opts.capW, marginW: 0, clock, tickMs: 250,
    cooling: { fixedW: 0, fractionOfIt: opts.coolingFraction ?? 0.1 }, policy: { hysteresisW: 500, minDwellMs: 2000 },
    ...(opts.leaseTtlMs !== undefined ? { leaseTtlMs: opts.leaseTtlMs } : {}),
  });
  const hosts = new Map<string, { kind: 'asic' | 'gpu'; devices: Map<string, Device> }>();
  const asic = new Map<string, Device>();
  for (const u of generateFleet({ miners: opts.miners, seed: 7 })) {
    const profiles = plannerProfiles(u);
    const row = profiles.find((p) => p.name === 'default')!;
    asic.set(u.id, {
      inv: { id: u.id, kind: 'asic', model: u.model.name, profiles, sleepW: 25 },
      reading: { id: u.id, reachable: true, powerW: row.powerW, hashrateThs: row.hashrateThs, profile: 'default', sleeping: false, ramping: false },
    });
  }
  hosts.set('asic-1', { kind: 'asic', devices: asic });
  const h100 = GPU_MODELS.h100;
  for (const g of opts.gpuHosts) {
    const devices = new Map<string, Device>();
    for (let i = 0; i < g.gpus; i++) {
      const id = `${g.id}-gpu${i}`;
      devices.set(id, {
        inv: { id, kind: 'gpu', model: h100.name, minLimitW: h100.minLimitW, maxLimitW: h100.maxLimitW, idleW: h100.idleW },
        reading: { id, reachable: true, powerW: h100.idleW, powerLimitW: h100.minLimitW, jobId: null },
      });
    }
    hosts.set(g.id, { kind: 'gpu', devices });
  }

  const bus = new Map(hostIds.map((h) => [h, agentConnection(h)]));
  const send = (msg: AgentMessage) => appendToStream(bus.get(msg.hostId)!, resultsStream(msg.hostId), msg);
  const workers: Worker[] = [];
  const admin = openRedis(redis.url);
  const connections = [...bus.values(), admin];
  /** Jobs running on the test's GPUs, ending at a time of the virtual clock. */
  const running = new Map<string, { hostId: string; endsAt: number }>();
  const heartbeat = async () => {
    for (const [jobId, j] of running) {
      if (j.endsAt > clock.now()) continue;
      running.delete(jobId);
      for (const d of hosts.get(j.hostId)!.devices.values()) if (d.reading.jobId === jobId) d.reading = { ...d.reading, jobId: null, powerW: h100.idleW };
      await send({ type: 'job', hostId: j.hostId, jobId, state: 'done', sentAt: Date.now() });
    }
    for (const [hostId, h] of hosts) {
      await appendToStream(bus.get(hostId)!, telemetryStream(hostId), { hostId, seq: 0, sentAt: Date.now(), epoch: 0, hostOverheadW: 0, devices: [...h.devices.values()].map((d) => d.reading) });
    }
  };
  for (const [hostId, h] of hosts) {
    const registration: Registration = { hostId, kind: h.kind, hostOverheadW: 0, devices: [...h.devices.values()].map((d) => d.inv) };
    await send({ type: 'register', ...registration, sentAt: Date.now() });
    workers.push(new Worker(commandQueue(hostId), async (job) => {
      const cmd = AgentCommandSchema.parse(job.data);
      for (const [id, want] of Object.entries(cmd.devices)) {
        const d = h.devices.get(id)!;
        if (want.kind === 'asic' && d.inv.kind === 'asic') {
          const row = d.inv.profiles.find((p) => p.name === want.profile)!;
          d.reading = { ...d.reading, powerW: row.powerW, hashrateThs: row.hashrateThs, sleeping: want.profile === 'sleep', ...(want.profile !== 'sleep' ? { profile: want.profile } : {}) };
        } else if (want.kind === 'gpu') {
          d.reading = { ...d.reading, powerLimitW: want.powerLimitW, powerW: want.job ? want.powerLimitW : h100.idleW, jobId: want.job?.id ?? null };
          if (want.job && !running.has(want.job.id)) running.set(want.job.id, { hostId, endsAt: clock.now() + (want.job.durationS ?? 60) * 1000 });
        }
      }
      await send({
        type: 'result', hostId, commandId: cmd.commandId, epoch: cmd.epoch, stale: false, receivedAt: Date.now(), sentAt: Date.now(),
        devices: Object.fromEntries(Object.keys(cmd.devices).map((id) => [id, { ok: true, confirmed: true }])),
      });
    }, { connection: connections[connections.push(agentConnection(hostId)) - 1]!, prefix: BULL_PREFIX }));
  }

  // Waits on events are generous: a loaded CI machine (two cores, every test project at once)
  // once took over 10 s to fold a heartbeat; a longer wait only matters when something is wrong.
  const registered = Promise.all([...hosts.keys()].map((id) => nextEvent<{ hostId: string }>(s, 'registered', (e) => e.hostId === id, EVENT_WAIT_MS)));
  await s.start();
  await registered;
  const app = createApi(s, parseTokens(TEST_TOKENS, 'test tokens'), logger, opts.api);
  const server = await new Promise<Server>((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    s, clock, hosts, url, heartbeat,
    /** A connection to the site's Redis as the scheduler's user (for tests that read or write the store directly). */
    redis: admin,
    redisUrl: redis.url,
    /** A host's own connection (its agent's Redis user): what that agent may write, and nothing more. */
    agentRedis: (hostId: string) => bus.get(hostId)!,
    /** Let time pass on the scheduler's clock, the agents' telemetry arriving every second of it. */
    async run(ms: number): Promise<void> {
      for (let t = 0; t < ms; t += 1000) {
        const folded = Promise.all([...hosts.keys()].map((id) => nextEvent<{ hostId: string }>(s, 'telemetry', (e) => e.hostId === id, EVENT_WAIT_MS)));
        await heartbeat();
        await folded;
        // Between timer firings the scheduler finishes what a step wrote (its Redis round trips).
        await clock.advance(Math.min(1000, ms - t), () => s.loop.idle());
      }
    },
    async api<T = any>(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
      const res = await fetch(`${url}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${init.token ?? OPERATOR}`, 'content-type': 'application/json' },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T, type: res.headers.get('content-type'), headers: new Map<string, string>(res.headers.entries()) };
    },
    async stop(): Promise<void> {
      server.close();
      await s.stop();
      for (const w of workers) await w.close();
      for (const c of connections) c.disconnect();
      await redis.stop();
      rmSync(aclDir, { recursive: true, force: true });
    },
  };
}

import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCHEDULER_USER, aclFile, agentUser, newCredentials, startEmbeddedRedis, withCredentials, type EmbeddedRedis, type SiteCredentials } from '@wattbroker/bus';
import { tokenEntry } from '@wattbroker/contracts';
import { generateFleet } from '@wattbroker/core';
import { freePort, freePortRange, spawnTs, waitFor, type Child } from '@wattbroker/testkit';

/** Fresh random tokens per test run (32+ characters); the scheduler gets only their hashes. */
export const OPERATOR = `op-${randomBytes(24).toString('hex')}`;
export const TENANT = `tenant-${randomBytes(24).toString('hex')}`;
export const API_TOKENS = `${tokenEntry('test-operator', 'operator', OPERATOR)},${tokenEntry('test-tenant', 'tenant', TENANT)}`;

export interface TestSite {
  /** The site's Redis, with ACLs on: its `url` logs in as the scheduler. */
  redis: EmbeddedRedis;
  /** The Redis passwords of the scheduler and of each host's agent (`agentRedisUrl` builds an agent's URL). */
  credentials: SiteCredentials;
  /** The ACL the site's Redis starts with (to start it again, e.g. after a crash). */
  redisAcl: { file: string; user: string; password: string };
  /** The Redis URL an agent logs in with (its own ACL user), on the site's Redis or on `via` (e.g. a proxy). */
  agentRedisUrl(hostId: string, via?: string): string;
  /** A Redis administrator's URL (all commands, all keys), for the tests' faults such as FLUSHALL. */
  adminRedisUrl: string;
  api: string;
  capKw: number;
  marginKw: number;
  sim: Child;
  /** The emulator's `/truth` URL (whole-site power under `site`). */
  truth: string;
  /** The emulated Modbus TCP site meter, `127.0.0.1:PORT` (preset sdm630, unit 1). */
  meter: string;
  scheduler: Child;
  agents: Map<string, Child>;
  dir: string;
  startScheduler(): Promise<void>;
  /** A second scheduler on the same Redis and site, on a port of its own: a standby while the first leads. */
  startStandby(): Promise<{ child: Child; api: string }>;
  /** Start the agent of `hostId`, on the site's Redis or on `redisUrl` (e.g. through a proxy; the agent's credentials are put in it). */
  startAgent(hostId: string, redisUrl?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface TestSiteOptions {
  miners: number;
  asicHosts: number;
  gpuHosts: number;
  gpusPerHost: number;
  speed: number;
  seed?: number;
  /** Extra scheduler flags (e.g. OpenADR). */
  schedulerArgs?: string[];
  /** Extra flags for every agent (e.g. `--metrics-port 0`). */
  agentArgs?: string[];
}

/**
 * A whole site as real processes on loopback: private redis-server, one site emulator
 * (miners, GPU servers, cooling, a Modbus TCP meter), ASIC and GPU agents (the GPU agents
 * drive the emulated GPUs), the scheduler. Contract sized like the demo's (stock + GPUs + 10 %).
 */
export async function startTestSite(o: TestSiteOptions): Promise<TestSite> {
  const dir = mkdtempSync(join(tmpdir(), 'wattbroker-e2e-'));
  const gpuHostIds = Array.from({ length: o.gpuHosts }, (_, h) => `gpu-${h + 1}`);
  const asicHostIds = Array.from({ length: o.asicHosts }, (_, h) => `asic-${h + 1}`);
  // ACLs on, as in production: each agent logs in as its own user.
  const credentials = newCredentials([...asicHostIds, ...gpuHostIds]);
  const acl = join(dir, 'users.acl');
  // Plus a Redis administrator, as a site's operators have one: the tests' own hand for faults
  // such as FLUSHALL (no service uses it).
  const adminPassword = randomBytes(24).toString('hex');
  writeFileSync(acl, aclFile(credentials) + `user admin on >${adminPassword} ~* &* +@all\n`, { mode: 0o600 });
  const redisAcl = { file: acl, user: SCHEDULER_USER, password: credentials.scheduler };
  const redis = await startEmbeddedRedis({ dir: join(dir, 'redis'), acl: redisAcl });
  const adminRedisUrl = withCredentials(`redis://127.0.0.1:${redis.port}`, 'admin', adminPassword);
  const agentRedisUrl = (hostId: string, via = `redis://127.0.0.1:${redis.port}`) => withCredentials(via, agentUser(hostId), credentials.agents.get(hostId)!);
  const fleet = generateFleet({ miners: o.miners, seed: o.seed ?? 1 });
  let base = 0;
  let sim: Child | undefined;
  let meter = '';
  for (let attempt = 0; !sim; attempt++) {
    base = await freePortRange(o.miners + 1);
    const s = spawnTs('services/miner-sim/src/main.ts', [
      '--miners', String(o.miners), '--base-port', String(base + 1), '--truth-port', String(base), '--speed', String(o.speed), '--boot', '20', '--seed', String(o.seed ?? 1),
      ...gpuHostIds.flatMap((id) => ['--gpu-host', `${id}:${o.gpusPerHost}:h100:400`]), '--meter-port', '0',
    ]);
    try {
      const line = await s.waitForLine(/listening/);
      meter = /meter modbus-tcp (\S+)/.exec(line)![1]!;
      sim = s;
    } catch (e) {
      if (attempt >= 4 || !/EADDRINUSE/.test((e as Error).message)) throw e;
    }
  }
  const files = new Map<string, string>();
  const per = Math.ceil(o.miners / o.asicHosts);
  for (let h = 0; h < o.asicHosts; h++) {
    const id = `asic-${h + 1}`;
    const f = join(dir, `${id}.json`);
    writeFileSync(f, JSON.stringify({ hostId: id, kind: 'asic', miners: fleet.slice(h * per, (h + 1) * per).map((u, i) => ({ id: u.id, driver: 'luxos', host: '127.0.0.1', port: base + 1 + h * per + i })) }));
    files.set(id, f);
  }
  for (const id of gpuHostIds) {
    const f = join(dir, `${id}.json`);
    writeFileSync(f, JSON.stringify({
      hostId: id, kind: 'gpu', hostOverheadW: 400, emulatorUrl: `http://127.0.0.1:${base}`,
      gpus: Array.from({ length: o.gpusPerHost }, (_, i) => ({ id: `${id}-gpu${i}`, driver: 'emulated', index: i })),
    }));
    files.set(id, f);
  }
  const stockW = fleet.reduce((s, u) => s + u.model.nominalW, 0);
  const capKw = Math.round(((stockW + o.gpuHosts * (o.gpusPerHost * 700 + 400)) * 1.1) / 1000);
  const marginKw = Math.max(1, Math.round(capKw * 0.02));
  const port = await freePort();
  const env = { WATTBROKER_REDIS_URL: redis.url, WATTBROKER_API_TOKENS: API_TOKENS, LOG_LEVEL: 'warn' };
  const standbys: Child[] = [];
  const site: TestSite = {
    redis, credentials, redisAcl, agentRedisUrl, adminRedisUrl, api: `http://127.0.0.1:${port}`, capKw, marginKw, sim: sim!, truth: `http://127.0.0.1:${base}/truth`, meter,
    scheduler: undefined as unknown as Child, agents: new Map(), dir,
    async startScheduler() {
      site.scheduler = spawnTs('services/scheduler/src/main.ts', [
        '--cap-kw', String(capKw), '--margin-kw', String(marginKw), '--port', String(port), '--min-dwell-s', String(10 / o.speed), '--tick-ms', '100',
        ...(o.schedulerArgs ?? []),
      ], env);
      await site.scheduler.waitForLine(/API on/);
    },
    async startStandby() {
      const standbyPort = await freePort();
      const child = spawnTs('services/scheduler/src/main.ts', [
        '--cap-kw', String(capKw), '--margin-kw', String(marginKw), '--port', String(standbyPort), '--min-dwell-s', String(10 / o.speed), '--tick-ms', '100',
        ...(o.schedulerArgs ?? []),
      ], env);
      standbys.push(child);
      await child.waitForLine(/API on/);
      return { child, api: `http://127.0.0.1:${standbyPort}` };
    },
    async startAgent(hostId, redisUrl) {
      const a = spawnTs('services/agent/src/main.ts', ['--config', files.get(hostId)!, '--speed', String(o.speed), ...(o.agentArgs ?? [])], { ...env, WATTBROKER_REDIS_URL: agentRedisUrl(hostId, redisUrl) });
      site.agents.set(hostId, a);
    },
    async stop() {
      await Promise.all([...site.agents.values()].map((a) => a.stop()));
      await site.scheduler?.stop();
      await Promise.all(standbys.map((c) => c.stop()));
      await site.sim.stop();
      await redis.stop();
    },
  };
  await site.startScheduler();
  for (const id of files.keys()) await site.startAgent(id);
  return site;
}

export async function api<T = any>(site: TestSite, path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: T; type: string | null }> {
  const res = await fetch(`${site.api}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? OPERATOR}`, 'content-type': 'application/json' },
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, type: res.headers.get('content-type') };
}

/** The site's true power now, from the emulator's ground truth (not the scheduler's view). */
export async function trueSiteW(site: TestSite): Promise<number> {
  return ((await (await fetch(site.truth)).json()) as { site: { sitePowerW: number } }).site.sitePowerW;
}

/**
 * Sample the true site power every 100 ms until `stop()` (or `maxMs`, so a failed test never
 * leaves it running): the peak and the number of samples, to check a cap held through a fault.
 */
export function watchTrueSite(site: TestSite, maxMs = 90_000): { stop(): Promise<{ peakW: number; samples: number }> } {
  let on = true;
  let peakW = 0;
  let samples = 0;
  const loop = (async () => {
    const until = Date.now() + maxMs;
    while (on && Date.now() < until) {
      const w = await trueSiteW(site).catch(() => undefined);
      if (w === undefined) break; // the site is gone (a test that failed and stopped it)
      peakW = Math.max(peakW, w);
      samples++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      on = false;
      await loop;
      return { peakW, samples };
    },
  };
}

/** Wait until `count` hosts are registered and none is silent. */
export async function liveHosts(site: TestSite, count: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${count} live hosts`, async () => {
    const hosts = (await api<Array<{ silent: boolean }>>(site, '/v1/hosts')).body;
    return hosts.length === count && hosts.every((h) => !h.silent);
  }, { timeoutMs, intervalMs: 250 });
}

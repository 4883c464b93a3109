import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { appendToStream, openRedis } from '@wattbroker/bus';
import { BULL_PREFIX, KEYS, agentEpochKey, commandQueue, resultsStream, telemetryStream } from '@wattbroker/contracts';
import { waitFor } from '@wattbroker/testkit';
import { TENANT, api, liveHosts, startTestSite, type TestSite } from '../src/site.js';

interface BusView { refused: { foreignHost: number; invalid: number; foreignDevice: number; foreignJob: number; forgedEpoch: number } }

/** The Redis error of `p` (it must fail). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected Redis to refuse');
}

/**
 * The bus as a compromised host sees it: the site runs as processes on a private Redis with
 * ACLs on (one user per agent, as `wattbroker acl generate` writes them), and the test logs
 * in with asic-1's credentials. It may write only its own keys; what it writes there claiming
 * to be another host, or carrying an epoch no leader set, is refused and counted.
 */
describe('security: the agents\' bus (processes, private Redis with ACLs)', () => {
  let site: TestSite;
  let asic1: Redis;
  let scheduler: Redis;

  beforeAll(async () => {
    site = await startTestSite({ miners: 8, asicHosts: 2, gpuHosts: 1, gpusPerHost: 2, speed: 10 });
    await liveHosts(site, 3);
    asic1 = openRedis(site.agentRedisUrl('asic-1'), { maxRetriesPerRequest: 0 });
    scheduler = openRedis(site.redis.url);
  }, 120_000);
  afterAll(async () => {
    asic1?.disconnect();
    scheduler?.disconnect();
    await site?.stop();
  });

  it('an agent\'s credentials get NOPERM for another host\'s queue, telemetry and results, the leader key and the epoch, and for server commands', async () => {
    // What it may do: write its own streams, read the site's epoch.
    await appendToStream(asic1, telemetryStream('asic-1'), { probe: true });
    expect(Number(await asic1.get(KEYS.epoch))).toBeGreaterThan(0);

    const other = new Queue(commandQueue('asic-2'), { connection: asic1, prefix: BULL_PREFIX });
    try {
      expect(await refusal(other.add('desired', { hostId: 'asic-2' }))).toMatch(/NOPERM/);
    } finally {
      await other.close();
    }
    expect(await refusal(asic1.lpush(`${BULL_PREFIX}:${commandQueue('asic-2')}:wait`, 'x'))).toMatch(/NOPERM/);
    expect(await refusal(asic1.xadd(telemetryStream('asic-2'), '*', 'v', '{}'))).toMatch(/NOPERM/);
    expect(await refusal(asic1.xadd(resultsStream('gpu-1'), '*', 'v', '{}'))).toMatch(/NOPERM/);
    expect(await refusal(asic1.get(KEYS.leader))).toMatch(/NOPERM/);
    expect(await refusal(asic1.set(KEYS.leader, 'me'))).toMatch(/NOPERM/);
    expect(await refusal(asic1.set(KEYS.epoch, String(2 ** 52)))).toMatch(/NOPERM/);
    expect(await refusal(asic1.hgetall(KEYS.jobs))).toMatch(/NOPERM/);
    for (const cmd of [['flushall'], ['keys', '*'], ['config', 'get', '*'], ['scan', '0'], ['acl', 'list'], ['shutdown']]) {
      expect(await refusal(asic1.call(cmd[0]!, ...cmd.slice(1))), cmd.join(' ')).toMatch(/NOPERM/);
    }
    // The scheduler's user has no server administration either.
    for (const cmd of [['flushall'], ['keys', '*'], ['config', 'get', '*'], ['acl', 'list']]) {
      expect(await refusal(scheduler.call(cmd[0]!, ...cmd.slice(1))), `scheduler: ${cmd.join(' ')}`).toMatch(/NOPERM/);
    }
  });

  it('telemetry and registrations claiming another host are refused and counted', async () => {
    const before = (await api<BusView>(site, '/v1/bus')).body.refused;
    const now = Date.now();
    // asic-2's miners "asleep" (so the scheduler would budget them at nothing), sent by asic-1.
    await appendToStream(asic1, telemetryStream('asic-1'), {
      hostId: 'asic-2', seq: 1, sentAt: now, epoch: 0, hostOverheadW: 0,
      devices: [{ id: 'forged-miner', reachable: true, powerW: 0, sleeping: true }],
    });
    await appendToStream(asic1, resultsStream('asic-1'), { type: 'register', hostId: 'gpu-1', kind: 'gpu', hostOverheadW: 0, devices: [], sentAt: now });
    const after = await waitFor('two foreign messages counted', async () => {
      const v = (await api<BusView>(site, '/v1/bus')).body.refused;
      return v.foreignHost >= before.foreignHost + 2 ? v : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(after.foreignHost).toBe(before.foreignHost + 2);
    // Nothing of it reached the site: no such device, gpu-1 still has its GPUs.
    const devices = (await api<Array<{ id: string }>>(site, '/v1/devices')).body;
    expect(devices.some((d) => d.id === 'forged-miner')).toBe(false);
    expect(devices.filter((d) => d.id.startsWith('gpu-1-')).length).toBe(2);
    // The scheduler's log names the refusal.
    expect(await site.scheduler.waitForLine(/hostId names another host than its sender/, 5_000)).toMatch(/"claimed":"asic-2"/);
  });

  it('well-formed messages from its own streams that speak for another host\'s devices or jobs are refused and counted', async () => {
    const before = (await api<BusView>(site, '/v1/bus')).body.refused;
    // asic-1 registers itself again, with one of asic-2's miners in its list (to be sent its commands).
    const stored = await scheduler.hgetall(KEYS.hosts);
    const own = JSON.parse(stored['asic-1']!) as { devices: Array<{ id: string }> };
    const theirs = JSON.parse(stored['asic-2']!) as { devices: Array<{ id: string }> };
    const stolen = theirs.devices[0]!;
    await appendToStream(asic1, resultsStream('asic-1'), { type: 'register', ...own, hostId: 'asic-1', devices: [...own.devices, stolen], sentAt: Date.now() });
    // And ends a GPU job that runs on gpu-1.
    const job = await api<{ id: string }>(site, '/v1/jobs', { method: 'POST', token: TENANT, body: { gpus: 1, durationS: 600 } });
    expect(job.status).toBe(202);
    await waitFor('the job running on gpu-1', async () => (await api<{ state: string; hostId?: string }>(site, `/v1/jobs/${job.body.id}`)).body.state === 'running', { timeoutMs: 30_000, intervalMs: 200 });
    await appendToStream(asic1, resultsStream('asic-1'), { type: 'job', hostId: 'asic-1', jobId: job.body.id, state: 'done', sentAt: Date.now() });
    const after = await waitFor('both refused', async () => {
      const v = (await api<BusView>(site, '/v1/bus')).body.refused;
      return v.foreignDevice >= before.foreignDevice + 1 && v.foreignJob >= before.foreignJob + 1 ? v : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(after.foreignDevice).toBe(before.foreignDevice + 1);
    expect(after.foreignJob).toBe(before.foreignJob + 1);
    // Nothing moved: the miner is still asic-2's, the job still runs.
    expect((await api<{ hostId: string }>(site, `/v1/devices/${stolen.id}`)).body.hostId).toBe('asic-2');
    expect((await api<{ state: string }>(site, `/v1/jobs/${job.body.id}`)).body.state).toBe('running');
    await api(site, `/v1/jobs/${job.body.id}`, { method: 'DELETE', token: TENANT });
  });

  it('an epoch jump from outside is refused: by the leader (telemetry) and by the agent (a command on its own queue)', async () => {
    const ready = (await api<{ epoch: number; role: string }>(site, '/readyz')).body;
    expect(ready.role).toBe('leader');
    const forged = ready.epoch + 2 ** 40;
    // Telemetry of asic-1 itself (so it passes the host check) obeying an epoch no leader set.
    await appendToStream(asic1, telemetryStream('asic-1'), { hostId: 'asic-1', seq: 10_000, sentAt: Date.now(), epoch: forged, hostOverheadW: 0, devices: [] });
    await waitFor('the forged epoch counted', async () => (await api<BusView>(site, '/v1/bus')).body.refused.forgedEpoch >= 1, { timeoutMs: 10_000, intervalMs: 100 });
    const still = (await api<{ epoch: number; role: string }>(site, '/readyz')).body;
    expect(still).toMatchObject({ role: 'leader', epoch: ready.epoch });

    // A command asic-1's credentials put on asic-1's own queue, with that epoch: the agent
    // refuses it (the site's epoch is lower) and does not adopt the epoch.
    const own = new Queue(commandQueue('asic-1'), { connection: asic1, prefix: BULL_PREFIX });
    try {
      const job = await own.add('desired', { commandId: 'forged', hostId: 'asic-1', epoch: forged, issuedAt: Date.now(), devices: {} });
      const failed = await waitFor('the forged command failed', async () => {
        const j = await Job.fromId(own, job.id!);
        return j?.failedReason ? j.failedReason : undefined;
      }, { timeoutMs: 10_000, intervalMs: 100 });
      expect(failed).toMatch(/epoch: \d+ is above the site's epoch/);
    } finally {
      await own.close();
    }
    expect(Number(await scheduler.get(agentEpochKey('asic-1')))).toBeLessThanOrEqual(ready.epoch);
    expect((await api<{ epoch: number; role: string }>(site, '/readyz')).body).toMatchObject({ role: 'leader', epoch: ready.epoch });
  });

  it('the rights are enough: no agent and no scheduler ever met NOPERM doing its own work', () => {
    expect(site.agents.size).toBe(3);
    for (const [hostId, agent] of site.agents) expect(agent.lines.filter((l) => /NOPERM|NOAUTH|WRONGPASS/.test(l)), hostId).toEqual([]);
    expect(site.scheduler.lines.filter((l) => /NOPERM|NOAUTH|WRONGPASS/.test(l))).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis } from '@wattbroker/bus';
import { agentFallbackKey } from '@wattbroker/contracts';
import { startTcpProxy, waitFor, type TcpProxy } from '@wattbroker/testkit';
import { api, startTestSite, watchTrueSite, type TestSite } from '../src/site.js';

const FALLBACK_AFTER_S = 3;

/**
 * An agent cut off from Redis (the scheduler and Redis up, the link between them and the agent
 * down), through a TCP proxy the test cuts. The scheduler sees the host go silent and budgets
 * its miners at their maximum; the agent, hearing no leader for the fallback period, lowers its
 * miners to the fallback it was armed with, on its own; the site's true power stays under the
 * cap; once the link is back the leader is in charge again. The fallback period is 3 s here
 * (30 s by default) to keep the test short.
 */
describe('faults: an agent cut off from Redis (processes, private Redis, TCP proxy)', () => {
  let site: TestSite;
  let proxy: TcpProxy;

  beforeAll(async () => {
    site = await startTestSite({ miners: 20, asicHosts: 1, gpuHosts: 1, gpusPerHost: 4, speed: 10, schedulerArgs: ['--fallback-after-s', String(FALLBACK_AFTER_S)] });
    // asic-1 again, on Redis through the proxy (stopped gracefully: its LuxOS sessions end).
    await site.agents.get('asic-1')!.stop();
    proxy = await startTcpProxy('127.0.0.1', site.redis.port);
    await site.startAgent('asic-1', `redis://127.0.0.1:${proxy.port}`);
    await waitFor('2 live hosts, the miners filled to ≥ 95 % of the cap', async () => {
      const hosts = (await api<Array<{ silent: boolean }>>(site, '/v1/hosts')).body;
      const s = (await api<{ power: { siteKw: number } }>(site, '/v1/site')).body;
      return hosts.length === 2 && hosts.every((h) => !h.silent) && s.power.siteKw >= 0.95 * (site.capKw - site.marginKw);
    }, { timeoutMs: 60_000, intervalMs: 250 });
    // And the agent holds a fallback from the leader (it keeps the latest in Redis).
    const r = openRedis(site.redis.url);
    try {
      // …with every one of its miners in it (the leader's what-if leaves out a host it has not
      // heard from yet, so the first fallback after the agent's restart can be partial).
      await waitFor('asic-1 armed with a fallback for its 20 miners', async () => {
        const stored = await r.get(agentFallbackKey('asic-1'));
        return stored !== null && Object.keys((JSON.parse(stored) as { devices: object }).devices).length === 20;
      }, { timeoutMs: 30_000, intervalMs: 200 });
    } finally {
      r.disconnect();
    }
  }, 150_000);
  afterAll(async () => {
    proxy?.restore();
    // The agent that was cut off is killed outright: its graceful stop can wait on a
    // connection BullMQ is still re-establishing.
    await site?.agents.get('asic-1')?.stop('SIGKILL');
    await site?.stop();
    await proxy?.close();
  }, 60_000);

  it(`applies the fallback on its own ${FALLBACK_AFTER_S} s after losing the leader, keeps the cap, and obeys the leader again once back`, async () => {
    const agent = site.agents.get('asic-1')!;
    const watch = watchTrueSite(site);
    // Only what the agent says from the cut on counts (it may have fallen back once at start).
    const from = agent.lines.length;
    const said = (re: RegExp, timeoutMs: number) => waitFor(`agent line ${re}`, () => agent.lines.slice(from).find((l) => re.test(l)), { timeoutMs, intervalMs: 50 });
    const fellBack = said(/applied the fallback/, 30_000);
    const cutAt = Date.now();
    proxy.cut();
    try {
      const line = JSON.parse(await fellBack.catch((e: Error) => {
        throw new Error(`${e.message}\nagent output:\n${agent.lines.slice(-30).join('\n')}`);
      })) as { lowered: number; silentForMs: number; devices: number };
      const afterMs = Date.now() - cutAt;
      console.log(`agent cut off: fallback applied ${afterMs} ms after the cut, ${line.lowered} miners lowered`);
      // Not before the period (the last word from the leader may be up to a re-send old), and
      // within it plus a re-send interval and a tick.
      expect(line.silentForMs).toBeGreaterThanOrEqual(FALLBACK_AFTER_S * 1000);
      expect(afterMs).toBeLessThanOrEqual(FALLBACK_AFTER_S * 1000 + 5000);
      // Every miner of the host was checked against its fallback (lowered where it drew more;
      // how many depends on where the leader had them, so it is reported, not asserted).
      expect(line.devices).toBe(20);
      // The scheduler sees the host silent meanwhile.
      const hosts = (await api<Array<{ hostId: string; silent: boolean }>>(site, '/v1/hosts')).body;
      expect(hosts.find((h) => h.hostId === 'asic-1')?.silent).toBe(true);
    } finally {
      proxy.restore();
    }
    // The link is back: the leader is heard (its fallback re-send or its next command) and the
    // site refills under the leader's plan.
    await said(/a leader is back/, 30_000);
    await waitFor('asic-1 reporting again', async () => {
      const hosts = (await api<Array<{ hostId: string; silent: boolean }>>(site, '/v1/hosts')).body;
      return hosts.find((h) => h.hostId === 'asic-1')?.silent === false;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor('the site refilled to ≥ 95 % of the cap', async () => (await api<{ power: { siteKw: number } }>(site, '/v1/site')).body.power.siteKw >= 0.95 * (site.capKw - site.marginKw), { timeoutMs: 60_000, intervalMs: 250 });
    const { peakW } = await watch.stop();
    console.log(`agent cut off: true site peak ${(peakW / 1000).toFixed(1)} kW, cap ${site.capKw} kW`);
    expect(peakW).toBeLessThanOrEqual(site.capKw * 1000);
  }, 150_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis } from '@wattbroker/bus';
import { agentFallbackKey } from '@wattbroker/contracts';
import { startTcpProxy, waitFor, type TcpProxy } from '@wattbroker/testkit';
import { api, liveHosts, startTestSite, watchTrueSite, type TestSite } from '../src/site.js';

/** The agents' default (`--fallback-after-s`), not shortened for the test. */
const FALLBACK_AFTER_S = 30;
const CUT_S = 60;

/**
 * Every agent cut off from Redis for 60 s (each through a TCP proxy the test cuts; the
 * scheduler and Redis stay up), with the default fallback period. No agent hears a leader, so
 * each applies the fallback it was armed with on its own about 30 s into the cut (not
 * before), the site's true power stays under the cap through it, and once the links are back
 * the leader is in charge again and the site refills.
 */
describe('faults: every agent cut off from Redis for 60 s, default fallback (processes, private Redis, TCP proxies)', () => {
  let site: TestSite;
  const proxies = new Map<string, TcpProxy>();

  beforeAll(async () => {
    site = await startTestSite({ miners: 20, asicHosts: 1, gpuHosts: 1, gpusPerHost: 4, speed: 10, seed: 7 });
    for (const id of [...site.agents.keys()]) {
      await site.agents.get(id)!.stop();
      const proxy = await startTcpProxy('127.0.0.1', site.redis.port);
      proxies.set(id, proxy);
      await site.startAgent(id, `redis://127.0.0.1:${proxy.port}`);
    }
    await liveHosts(site, 2, 30_000);
    await waitFor('the miners filled to ≥ 95 % of the cap', async () => (await api<{ power: { siteKw: number } }>(site, '/v1/site')).body.power.siteKw >= 0.95 * (site.capKw - site.marginKw), { timeoutMs: 60_000, intervalMs: 250 });
    const r = openRedis(site.redis.url);
    try {
      await waitFor('every agent armed with a full fallback', async () => {
        for (const id of proxies.keys()) {
          const stored = await r.get(agentFallbackKey(id));
          if (stored === null) return false;
          // The ASIC host's with all 20 miners in it (the first after a restart can be partial).
          if (id.startsWith('asic') && Object.keys((JSON.parse(stored) as { devices: object }).devices).length !== 20) return false;
        }
        return true;
      }, { timeoutMs: 40_000, intervalMs: 200 });
    } finally {
      r.disconnect();
    }
  }, 150_000);
  afterAll(async () => {
    for (const p of proxies.values()) p.restore();
    for (const a of site?.agents.values() ?? []) await a.stop('SIGKILL');
    await site?.stop();
    for (const p of proxies.values()) await p.close();
  }, 60_000);

  it(`each agent applies its fallback ${FALLBACK_AFTER_S} s into a ${CUT_S} s cut, the cap holds, and the leader is back after`, async () => {
    const watch = watchTrueSite(site, 180_000);
    const from = new Map([...site.agents].map(([id, a]) => [id, a.lines.length]));
    const said = (id: string, re: RegExp, timeoutMs: number) => waitFor(`${id}: ${re}`, () => site.agents.get(id)!.lines.slice(from.get(id)).find((l) => re.test(l)), { timeoutMs, intervalMs: 100 });
    const cutAt = Date.now();
    for (const p of proxies.values()) p.cut();
    const fellBack = await Promise.all([...proxies.keys()].map(async (id) => {
      const line = JSON.parse(await said(id, /applied the fallback/, (FALLBACK_AFTER_S + 20) * 1000)) as { silentForMs: number; lowered: number; devices: number };
      return { id, afterMs: Date.now() - cutAt, ...line };
    }));
    for (const f of fellBack) {
      console.log(`all agents cut off: ${f.id} applied the fallback ${f.afterMs} ms after the cut (silent ${f.silentForMs} ms), ${f.lowered} of ${f.devices} devices lowered`);
      expect(f.silentForMs).toBeGreaterThanOrEqual(FALLBACK_AFTER_S * 1000);
      // The leader's last word may be up to a re-send interval (10 s) older than the cut.
      expect(f.afterMs).toBeGreaterThanOrEqual(FALLBACK_AFTER_S * 1000 - 10_000);
      expect(f.afterMs).toBeLessThanOrEqual(FALLBACK_AFTER_S * 1000 + 10_000);
    }
    const hosts = (await api<Array<{ silent: boolean }>>(site, '/v1/hosts')).body;
    expect(hosts.every((h) => h.silent)).toBe(true);
    // The rest of the cut: the fault's length.
    await new Promise((r) => setTimeout(r, Math.max(0, cutAt + CUT_S * 1000 - Date.now())));
    for (const p of proxies.values()) p.restore();
    await Promise.all([...proxies.keys()].map((id) => said(id, /a leader is back/, 30_000)));
    await liveHosts(site, 2, 30_000);
    // Whether the leader heard an agent say it was on its fallback before hearing the leader
    // (it depends on which reaches the other first after the link is back): reported.
    console.log(`all agents cut off: the leader logged ${site.scheduler.lines.filter((l) => /on its fallback/.test(l)).length} fallback reports after the cut`);
    await waitFor('the site refilled to ≥ 95 % of the cap', async () => (await api<{ power: { siteKw: number } }>(site, '/v1/site')).body.power.siteKw >= 0.95 * (site.capKw - site.marginKw), { timeoutMs: 60_000, intervalMs: 250 });
    const { peakW, samples } = await watch.stop();
    console.log(`all agents cut off: true site peak ${(peakW / 1000).toFixed(1)} kW over ${samples} samples, cap ${site.capKw} kW`);
    expect(samples).toBeGreaterThan(300);
    expect(peakW).toBeLessThanOrEqual(site.capKw * 1000);
  }, 200_000);
});

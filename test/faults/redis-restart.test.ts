import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRedis } from '@wattbroker/bus';
import { waitFor } from '@wattbroker/testkit';
import { api, liveHosts, startTestSite, TENANT, watchTrueSite, type TestSite } from '../src/site.js';

/**
 * Redis restarted under a running site (the server stopped, then started again on the same
 * port and data directory, its AOF replayed): the scheduler and the agents reconnect on their
 * own, the leader takes its lease again, nothing stored is lost (contract, jobs), every job
 * ends, and the site's true power stays under the cap throughout.
 */
describe('faults: Redis restarted under a running site (processes, AOF)', () => {
  let site: TestSite;

  beforeAll(async () => {
    site = await startTestSite({ miners: 20, asicHosts: 1, gpuHosts: 1, gpusPerHost: 4, speed: 10 });
    await liveHosts(site, 2);
  }, 120_000);
  afterAll(() => site?.stop(), 30_000);

  it('reconnects, keeps every stored job and setting, and keeps the cap', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await api<{ id: string }>(site, '/v1/jobs', { method: 'POST', token: TENANT, body: { gpus: 1, durationS: 30 } })).body.id);
    const contract = (await api<{ contract: { capKw: number } }>(site, '/v1/site')).body.contract;
    const watch = watchTrueSite(site);
    try {
      const { port, dir } = site.redis;
      await site.redis.stop();
      const stoppedAt = Date.now();
      await waitFor('the scheduler sees Redis gone', async () => {
        const r = await fetch(`${site.api}/readyz`);
        return r.status === 503 && ((await r.json()) as { redis: boolean }).redis === false;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      site.redis = await startEmbeddedRedis({ dir, port, acl: site.redisAcl });
      await waitFor('the scheduler leads again', async () => (await fetch(`${site.api}/readyz`)).status === 200, { timeoutMs: 30_000, intervalMs: 100 });
      console.log(`redis restart: the scheduler leads again ${Date.now() - stoppedAt} ms after Redis stopped`);
      expect((await api<{ contract: { capKw: number } }>(site, '/v1/site')).body.contract.capKw).toBe(contract.capKw);
      const jobs = await waitFor('every job done', async () => {
        const all = await Promise.all(ids.map(async (id) => (await api<any>(site, `/v1/jobs/${id}`)).body));
        return all.every((j) => j?.state === 'done') && all;
      }, { timeoutMs: 90_000, intervalMs: 500 });
      expect(jobs).toHaveLength(4);
      await liveHosts(site, 2, 30_000);
    } finally {
      // (stopped on failure too; stop() returns the same figures however often it is called)
      await watch.stop();
    }
    const { peakW } = await watch.stop();
    console.log(`redis restart: true site peak ${(peakW / 1000).toFixed(1)} kW, cap ${site.capKw} kW`);
    expect(peakW).toBeLessThanOrEqual(site.capKw * 1000);
  }, 180_000);
});

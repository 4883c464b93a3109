import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRedis } from '@wattbroker/bus';
import { waitFor } from '@wattbroker/testkit';
import { api, liveHosts, startTestSite, TENANT, watchTrueSite, type TestSite } from '../src/site.js';

/**
 * Redis restarted under a running site (the server stopped, then started again on the same
 * port and data directory, its AOF replayed, with the site's ACL file): the scheduler and the
 * agents reconnect on their own, the scheduler stops leading and, leading again, reloads the
 * site from Redis, nothing stored is lost (contract, jobs: written in fenced
 * transactions), every job ends, and the site's true power stays under the cap throughout.
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
      const readiness = async () => {
        const r = await fetch(`${site.api}/readyz`);
        return { status: r.status, ...((await r.json()) as { redis: boolean; leader: boolean; epoch: number }) };
      };
      const epochBefore = (await readiness()).epoch;
      await site.redis.stop();
      const stoppedAt = Date.now();
      // Down until the scheduler has stopped leading: when it leads again it reloads the whole
      // site from what Redis replayed from its AOF.
      await waitFor('the scheduler sees Redis gone and stops leading', async () => {
        const x = await readiness();
        return x.status === 503 && !x.redis && !x.leader;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      site.redis = await startEmbeddedRedis({ dir, port, acl: site.redisAcl });
      const after = await waitFor('the scheduler leads again', async () => {
        const x = await readiness();
        return x.status === 200 && x;
      }, { timeoutMs: 30_000, intervalMs: 100 });
      console.log(`redis restart: the scheduler leads again ${Date.now() - stoppedAt} ms after Redis stopped, epoch ${epochBefore} → ${after.epoch}`);
      // (the same epoch when its own lease outlived the outage: no one led in between)
      expect(after.epoch).toBeGreaterThanOrEqual(epochBefore);
      expect((await api<{ contract: { capKw: number } }>(site, '/v1/site')).body.contract.capKw).toBe(contract.capKw);
      // Every job is known after the reload (a 404 here: the AOF replay lost its writes).
      for (const id of ids) expect((await api(site, `/v1/jobs/${id}`)).status, id).toBe(200);
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

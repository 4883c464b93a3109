import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type Child } from '@wattbroker/testkit';
import { api, liveHosts, OPERATOR, startTestSite, TENANT, trueSiteW, watchTrueSite, type TestSite } from '../src/site.js';

const SPEED = 10;

/**
 * Faults, as processes: an active/standby pair of schedulers on one Redis, the leader killed
 * with SIGKILL while jobs run and a grid event is in force. The standby must take over within
 * a lease, finish every job, and the site's true power (the emulator's meter, not the
 * scheduler's view) must stay under the event's cap all the while.
 */
describe('faults: leader killed with a standby (processes, private Redis)', () => {
  let site: TestSite;
  let standby: { child: Child; api: string };
  const call = async <T = any>(base: string, path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.token ?? OPERATOR}`, 'content-type': 'application/json' },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, type: res.headers.get('content-type') };
  };

  beforeAll(async () => {
    site = await startTestSite({ miners: 40, asicHosts: 2, gpuHosts: 1, gpusPerHost: 4, speed: SPEED });
    standby = await site.startStandby();
    await liveHosts(site, 3, 30_000);
  }, 120_000);
  afterAll(() => site?.stop(), 30_000);

  it('a standby answers 503 naming the leader, and says so in /readyz', async () => {
    const r = await call(standby.api, '/v1/site');
    expect(r.status).toBe(503);
    expect(r.type).toMatch(/application\/problem\+json/);
    expect(r.body.leader.url).toBe(site.api);
    const ready = await call(standby.api, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, redis: true, leader: false, role: 'standby', leaderUrl: site.api });
  });

  it('takes over within seconds of a SIGKILL, keeps the grid cap on the true meter, and finishes every job', async () => {
    // A grid event in force, complied with, and jobs running on the GPUs.
    // From a filled site (right after start the miners may still be booting), to 75 % of what it draws.
    const budgetKw = site.capKw - site.marginKw;
    await waitFor('the site filled to ≥ 90 % of cap − margin (truth)', async () => (await trueSiteW(site)) >= 0.9 * budgetKw * 1000, { timeoutMs: 60_000, intervalMs: 250 });
    // From the true draw: the scheduler's own view may not have every reading yet.
    const capKw = Math.round((await trueSiteW(site)) * 0.75 / 1000);
    const ev = await api<{ id: string }>(site, '/v1/grid/events', { method: 'POST', body: { capKw, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 300_000).toISOString() } });
    expect(ev.status).toBe(201);
    await waitFor('the true site power under the event cap', async () => (await trueSiteW(site)) <= capKw * 1000, { timeoutMs: 60_000, intervalMs: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await api<{ id: string }>(site, '/v1/jobs', { method: 'POST', token: TENANT, body: { gpus: 1, durationS: 20 } })).body.id);
    await waitFor('a job running', async () => (await api<any[]>(site, '/v1/jobs?state=running')).body.length > 0, { timeoutMs: 20_000, intervalMs: 100 });

    // Sample the truth through the failover.
    const watch = watchTrueSite(site);

    const killedAt = Date.now();
    site.scheduler.process.kill('SIGKILL');
    await site.scheduler.exited;
    const ready = await waitFor('the standby leads', async () => {
      const r = await call(standby.api, '/readyz');
      return r.status === 200 && r.body;
    }, { timeoutMs: 20_000, intervalMs: 50 });
    const tookOverMs = Date.now() - killedAt;
    console.log(`failover: standby ready ${tookOverMs} ms after SIGKILL (epoch ${ready.epoch})`);
    // Lease 3 s; wide margin for a loaded two-core machine.
    expect(tookOverMs).toBeLessThanOrEqual(12_000);

    const all = await waitFor('every job done on the new leader', async () => {
      const jobs = await Promise.all(ids.map(async (id) => (await call<any>(standby.api, `/v1/jobs/${id}`)).body));
      return jobs.every((j) => j?.state === 'done') && jobs;
    }, { timeoutMs: 90_000, intervalMs: 500 });
    expect(all.map((j: any) => j.id).sort()).toEqual([...ids].sort());
    const { peakW, samples } = await watch.stop();
    console.log(`failover: true site peak ${(peakW / 1000).toFixed(1)} kW over ${samples} samples, event cap ${capKw} kW`);
    expect(samples).toBeGreaterThan(20);
    expect(peakW).toBeLessThanOrEqual(capKw * 1000);
    // The grid event survived the failover.
    expect((await call<Array<{ id: string }>>(standby.api, '/v1/grid/events')).body.map((e) => e.id)).toContain(ev.body.id);
    await call(standby.api, `/v1/grid/events/${ev.body.id}`, { method: 'DELETE' });
  }, 180_000);

  it('a leader stopped (SIGSTOP) for 10 s is replaced, and on waking steps down', async () => {
    // The scheduler killed above comes back: a standby now, beside the leader that took over.
    await site.startScheduler();
    expect((await call(site.api, '/readyz')).body).toMatchObject({ role: 'standby' });
    const leader = standby;
    const capW = (site.capKw - site.marginKw) * 1000;
    const watch = watchTrueSite(site);
    leader.child.process.kill('SIGSTOP');
    const stoppedAt = Date.now();
    let resumed = false;
    try {
      await waitFor('the standby leads', async () => (await call(site.api, '/readyz')).status === 200, { timeoutMs: 20_000, intervalMs: 50 });
      console.log(`failover: standby ready ${Date.now() - stoppedAt} ms after SIGSTOP of the leader`);
      const waitMs = 10_000 - (Date.now() - stoppedAt);
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs)); // the fault itself: 10 s stopped
      leader.child.process.kill('SIGCONT');
      resumed = true;
      // Woken, the old leader finds its lease gone (or is fenced at its first write) and steps down.
      await waitFor('the woken leader is a standby', async () => {
        const r = await call(leader.api, '/readyz');
        return r.status === 503 && r.body.role === 'standby';
      }, { timeoutMs: 15_000, intervalMs: 100 });
      expect((await call(site.api, '/readyz')).status).toBe(200);
      // The site stays filled and under the cap under its new leader.
      await waitFor('the site served by the new leader', async () => (await api<{ power: { siteKw: number } }>(site, '/v1/site')).status === 200, { timeoutMs: 10_000 });
    } finally {
      if (!resumed) leader.child.process.kill('SIGCONT');
    }
    const { peakW } = await watch.stop();
    console.log(`failover: true site peak ${(peakW / 1000).toFixed(1)} kW through the stop, cap ${capW / 1000} kW after margin`);
    expect(peakW).toBeLessThanOrEqual(site.capKw * 1000);
  }, 120_000);
});

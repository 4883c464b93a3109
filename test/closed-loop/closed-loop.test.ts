import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openRedis, rangeStream } from '@wattbroker/bus';
import { SITE_SAMPLES_STREAM, agentArmedKey } from '@wattbroker/contracts';
import type { SiteSample } from '@wattbroker/contracts';
import { LuxosClient } from '@wattbroker/drivers';
import { waitFor } from '@wattbroker/testkit';
import { api, OPERATOR, TENANT, startTestSite, type TestSite } from '../src/site.js';

/**
 * The product end to end, every part a real process: private redis-server, 40 emulated
 * miners (physics 20× real time), 2 ASIC agents, 2 GPU agents × 4 GPUs, the scheduler.
 * Each test starts from a settled site (every host live, the miners filled to the cap) and
 * undoes what it changes (events, schedules, priorities, overrides, killed processes, jobs)
 * in `finally`, so a failing test does not break the next and the order does not matter.
 */
const SPEED = 20;

describe('closed loop (processes, private Redis)', () => {
  let site: TestSite;
  const samples = async (fromMs: number, toMs = Date.now()): Promise<SiteSample[]> => {
    const r = openRedis(site.redis.url);
    try {
      return (await rangeStream(r, SITE_SAMPLES_STREAM, String(fromMs), String(toMs))).map((e) => e.value as SiteSample);
    } finally {
      r.disconnect();
    }
  };
  const latest = async () => {
    const s = await samples(Date.now() - 3000);
    return s.at(-1);
  };

  /**
   * Every host registered and reporting, no grid event in effect, the miners filled to the
   * cap and none of them being written (a test that kills a process mid-write leaves work
   * that takes a while to recover, for the next one to trip on).
   */
  const settled = async () => {
    await waitFor('4 live hosts', async () => {
      const hosts = (await api<Array<{ silent: boolean }>>(site, '/v1/hosts')).body;
      return hosts.length === 4 && hosts.every((h) => !h.silent);
    }, { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor('utilisation ≥ 97 % of the contract, no device in transition', async () => {
      const s = await latest();
      if (!s || s.effectiveCapW !== s.contractCapW - s.marginW || s.siteW < 0.97 * s.effectiveCapW) return false;
      const devices = (await api<Array<{ status: string }>>(site, '/v1/devices')).body;
      return devices.every((d) => d.status !== 'in-transition' && d.status !== 'off-target');
    }, { timeoutMs: 90_000, intervalMs: 250 });
  };
  /** Cancel the jobs among `ids` that have not ended (a test that failed half-way). */
  const cancelUnfinished = async (ids: readonly string[]) => {
    for (const id of ids) {
      const j = (await api<{ state: string } | null>(site, `/v1/jobs/${id}`)).body;
      if (j && !['done', 'failed', 'cancelled'].includes(j.state)) await api(site, `/v1/jobs/${id}`, { method: 'DELETE', token: TENANT });
    }
  };

  /** End any LuxOS session open on the miners of `hostId` (`kill` needs none). */
  const endSessions = async (hostId: string) => {
    const ids = new Set((await api<Array<{ id: string; hostId: string }>>(site, '/v1/devices')).body.filter((d) => d.hostId === hostId).map((d) => d.id));
    const truth = (await (await fetch(`${site.truth}?perMiner=true`)).json()) as { perMiner: Array<{ id: string; port: number }> };
    await Promise.all(truth.perMiner.filter((m) => ids.has(m.id)).map((m) => new LuxosClient('127.0.0.1', m.port).command('kill')));
  };

  beforeAll(async () => {
    site = await startTestSite({ miners: 40, asicHosts: 2, gpuHosts: 2, gpusPerHost: 4, speed: SPEED });
  }, 120_000);
  beforeEach(() => settled(), 150_000);
  afterAll(() => site?.stop(), 30_000);

  it('admits and completes a burst of 24 GPU jobs without ever exceeding the cap, then refills to ≥ 97 %', async () => {
    const from = Date.now();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 24; i++) {
        const r = await api<{ id: string; state: string }>(site, '/v1/jobs', {
          method: 'POST', token: TENANT, body: { class: i % 5 === 0 ? 'critical' : 'standard', gpus: 1 + (i % 3), durationS: 20 + (i % 4) * 10 },
        });
        expect(r.status).toBe(202);
        expect(['queued', 'admitting', 'running']).toContain(r.body.state);
        ids.push(r.body.id);
      }
      const jobs = await waitFor('all 24 jobs done', async () => {
        const all = await Promise.all(ids.map(async (id) => (await api<any>(site, `/v1/jobs/${id}`)).body));
        return all.every((j) => j.state === 'done') && all;
      }, { timeoutMs: 90_000, intervalMs: 500 });
      for (const j of jobs) {
        const t = (k: string) => Date.parse(j.timestamps[k]);
        expect(t('queued')).toBeLessThanOrEqual(t('admitting'));
        expect(t('admitting')).toBeLessThanOrEqual(t('running'));
        expect(t('running')).toBeLessThan(t('done'));
        expect(j.gpuIds).toHaveLength(j.gpus);
      }
      // Rule 1 at every sample of the burst.
      const during = await samples(from);
      expect(during.length).toBeGreaterThan(5);
      const worst = Math.max(...during.map((s) => s.siteW / s.effectiveCapW));
      expect(worst).toBeLessThanOrEqual(1);
      // GPUs did draw power during the burst.
      expect(Math.max(...during.map((s) => s.gpuW))).toBeGreaterThan(2000);
      const refilled = Date.now();
      await waitFor('utilisation back ≥ 97 %', async () => {
        const s = await latest();
        return s && s.jobs.running === 0 && s.siteW >= 0.97 * s.effectiveCapW;
      }, { timeoutMs: 60_000, intervalMs: 250 });
      expect(Date.now() - refilled).toBeLessThan(60_000);
    } finally {
      await cancelUnfinished(ids);
    }
  }, 180_000);

  it('complies with a cap event from REST within 10 s', async () => {
    const before = (await latest())!;
    const capKw = Math.round((before.effectiveCapW * 0.7) / 1000);
    const startsAt = new Date().toISOString();
    const endsAt = new Date(Date.now() + 120_000).toISOString();
    const created = await api<{ id: string }>(site, '/v1/grid/events', { method: 'POST', body: { capKw, startsAt, endsAt } });
    expect(created.status).toBe(201);
    let deleted = false;
    try {
      const t0 = Date.now();
      const compliant = await waitFor('site under the new cap', async () => {
        const s = await latest();
        return s && s.at > t0 && s.effectiveCapW <= (capKw - site.marginKw) * 1000 + 1 && s.siteW <= s.effectiveCapW && s;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      expect(compliant.at - t0).toBeLessThanOrEqual(10_000);
      // And it stays compliant afterwards: the next 3 samples recorded (one a second).
      const after = await waitFor('3 more samples after the compliant one', async () => {
        const later = (await samples(compliant.at)).filter((s) => s.at > compliant.at);
        return later.length >= 3 && later;
      }, { timeoutMs: 15_000, intervalMs: 200 });
      expect(Math.max(...after.map((s) => s.siteW - s.effectiveCapW))).toBeLessThanOrEqual(0);
      // The compliance report is built from exactly these samples.
      const report = (await api<any>(site, `/v1/grid/events/${created.body.id}/report?baseline=mean-15m`)).body;
      const startsMs = Date.parse(startsAt);
      const recorded = (await samples(startsMs - 15 * 60_000)).filter((s) => s.at <= Date.parse(report.series.s1.at(-1).at));
      const during = recorded.filter((s) => s.at >= startsMs);
      const firstOk = during.find((s) => s.siteW <= capKw * 1000)!;
      expect(report.requestedKw).toBe(capKw);
      expect(report.timeToComplianceS).toBeCloseTo((firstOk.at - startsMs) / 1000, 3);
      expect(report.secondsAbove).toBe(during.filter((s) => s.siteW > capKw * 1000).length);
      expect(report.samples).toBe(during.length);
      const baseline = recorded.filter((s) => s.at < startsMs);
      expect(report.baseline.kw).toBeCloseTo(baseline.reduce((a, s) => a + s.siteW, 0) / baseline.length / 1000, 2);
      const csv = await fetch(`${site.api}/v1/grid/events/${created.body.id}/report`, { headers: { authorization: `Bearer ${OPERATOR}`, accept: 'text/csv' } });
      expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
      expect((await csv.text()).split('\r\n')[0]).toBe('at,site_kw,requested_kw,above');
      expect((await api(site, `/v1/grid/events/${created.body.id}/report?baseline=median`)).body.detail).toMatch(/^baseline: /);
      expect((await api(site, `/v1/grid/events/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
      deleted = true;
    } finally {
      if (!deleted) await api(site, `/v1/grid/events/${created.body.id}`, { method: 'DELETE' });
    }
  }, 60_000);

  it('detects a killed agent within 3 s and budgets its devices at their maximum', async () => {
    const agent = site.agents.get('asic-2')!;
    agent.process.kill('SIGKILL');
    try {
      const t0 = Date.now();
      await waitFor('asic-2 silent', async () => {
        const hosts = (await api<Array<{ hostId: string; silent: boolean }>>(site, '/v1/hosts')).body;
        return hosts.find((h) => h.hostId === 'asic-2')?.silent;
      }, { timeoutMs: 10_000, intervalMs: 50 });
      expect(Date.now() - t0).toBeLessThanOrEqual(3000 + 250);
      const devices = (await api<Array<{ hostId: string; kind: string; budgetW: number; reading: { powerW: number } | null }>>(site, '/v1/devices')).body;
      for (const d of devices.filter((x) => x.hostId === 'asic-2')) expect(d.budgetW).toBeGreaterThan(d.reading!.powerW);
      // The next step (at most one tick later) plans without them.
      await waitFor('a plan that excludes the silent miners', async () =>
        /on silent hosts, unreachable/.test((await api<{ reasons: string[] }>(site, '/v1/plan')).body.reasons.join(' ')),
      { timeoutMs: 2000, intervalMs: 50 });
    } finally {
      await agent.exited;
      // Killed in the middle of a write, an agent leaves that miner's single LuxOS session
      // open until it idles out (60 s): the restarted agent could not write it until then.
      // End them first, as an operator would.
      await endSessions('asic-2');
      await site.startAgent('asic-2');
    }
    await waitFor('asic-2 back', async () => {
      const hosts = (await api<Array<{ hostId: string; silent: boolean }>>(site, '/v1/hosts')).body;
      return hosts.find((h) => h.hostId === 'asic-2')?.silent === false;
    }, { timeoutMs: 20_000, intervalMs: 200 });
  }, 60_000);

  it('loses no job when the scheduler is killed with SIGKILL and restarted', async () => {
    const ids: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        ids.push((await api<{ id: string }>(site, '/v1/jobs', { method: 'POST', token: TENANT, body: { gpus: 2, durationS: 40 } })).body.id);
      }
      await waitFor('some running', async () => (await api<any[]>(site, '/v1/jobs?state=running')).body.length > 0, { timeoutMs: 10_000 });
      const killed = site.scheduler;
      killed.process.kill('SIGKILL');
      try {
        await killed.exited;
      } finally {
        await site.startScheduler();
      }
      await waitFor('all 10 jobs done after the restart', async () => {
        const all = await Promise.all(ids.map(async (id) => (await api<any>(site, `/v1/jobs/${id}`)).body));
        return all.every((j) => j?.state === 'done');
      }, { timeoutMs: 90_000, intervalMs: 500 });
    } finally {
      await cancelUnfinished(ids);
    }
  }, 150_000);

  it('sleeps miners on a price spike and wakes them when it passes', async () => {
    const before = (await latest())!;
    const pricesBefore = (await api<{ rawPricePerMWh?: number; hashpricePerThDay?: number }>(site, '/v1/prices')).body;
    try {
      expect((await api(site, '/v1/prices/hash', { method: 'PUT', body: { usdPerThDay: 0.05 } })).status).toBe(200);
      const spike = await api<any>(site, '/v1/prices/energy', { method: 'PUT', body: { pricePerMWh: 2000 } });
      expect(spike.body).toMatchObject({ rawPricePerMWh: 2000, effectivePricePerMWh: 2000, hashpricePerThDay: 0.05 });
      await waitFor('miners asleep', async () => {
        const s = await latest();
        return s && s.asicW < 0.05 * before.asicW;
      }, { timeoutMs: 20_000, intervalMs: 200 });
      expect((await api<any>(site, '/v1/plan')).body.reasons.join(' ')).toMatch(/price stop: energy 2000 \$\/MWh/);
      await api(site, '/v1/prices/energy', { method: 'PUT', body: { pricePerMWh: 30 } });
      await waitFor('miners back', async () => {
        const s = await latest();
        return s && s.siteW >= 0.97 * s.effectiveCapW;
      }, { timeoutMs: 60_000, intervalMs: 250 });
    } finally {
      // Prices cannot be unset: what was there goes back, else a price at which every miner pays.
      await api(site, '/v1/prices/energy', { method: 'PUT', body: { pricePerMWh: pricesBefore.rawPricePerMWh ?? 30 } });
      if (pricesBefore.hashpricePerThDay !== undefined) await api(site, '/v1/prices/hash', { method: 'PUT', body: { usdPerThDay: pricesBefore.hashpricePerThDay } });
    }
  }, 90_000);

  it('serves problem+json naming the bad field, and changes nothing on bad input', async () => {
    // What this test changes on purpose (and what a bad input must not change) is put back at the end.
    const undo: Array<() => Promise<unknown>> = [];
    const pricesOf = async () => {
      const p = (await api<{ rawPricePerMWh?: number; hashpricePerThDay?: number }>(site, '/v1/prices')).body;
      return { rawPricePerMWh: p.rawPricePerMWh, hashpricePerThDay: p.hashpricePerThDay };
    };
    const pricesBefore = await pricesOf();
    const prioritiesBefore = (await api<any[]>(site, '/v1/priorities')).body;
    undo.push(async () => {
      if (JSON.stringify((await api<any[]>(site, '/v1/priorities')).body) !== JSON.stringify(prioritiesBefore)) await api(site, '/v1/priorities', { method: 'PUT', body: prioritiesBefore });
    });
    const contractBefore = (await api<any>(site, '/v1/site')).body.contract;
    undo.push(async () => {
      if (JSON.stringify((await api<any>(site, '/v1/site')).body.contract) !== JSON.stringify(contractBefore)) await api(site, '/v1/site/contract', { method: 'PUT', body: contractBefore });
    });
    try {
      const before = (await api<any[]>(site, '/v1/jobs?limit=1000')).body.length;
      const bad = await api<any>(site, '/v1/jobs', { method: 'POST', token: TENANT, body: { gpus: 'two', durationS: 5 } });
      expect(bad.status).toBe(400);
      expect(bad.type).toMatch(/application\/problem\+json/);
      expect(bad.body).toMatchObject({ status: 400, title: 'Invalid request' });
      expect(bad.body.detail).toMatch(/^gpus: /);
      expect((await api(site, '/v1/jobs', { method: 'POST', token: TENANT, body: '{"gpus": 1,' })).body).toMatchObject({ status: 400, title: 'Invalid JSON' });
      expect((await api(site, '/v1/site/contract', { method: 'PUT', body: { capKw: 10, marginKw: 20 } })).body).toMatchObject({ status: 400, detail: 'marginKw: must be below capKw' });
      expect((await api(site, '/v1/grid/events', { method: 'POST', body: { capKw: 5, startsAt: 'soon', endsAt: 'later' } })).body.detail).toMatch(/^startsAt: /);
      expect((await api(site, '/v1/grid/events', { method: 'POST', body: { capKw: 5, shedKw: 5, startsAt: '2030-01-01T00:00:00Z', endsAt: '2030-01-01T01:00:00Z' } })).body.detail).toBe('capKw: give exactly one of capKw or shedKw');
      const sched = (body: unknown) => api<any>(site, '/v1/grid/schedules', { method: 'POST', body });
      const base4cp = { name: '4cp', cron: '0 15 * 6-9 1-5', tz: 'America/Chicago', durationMinutes: 180, shedKw: 20 };
      expect((await sched({ ...base4cp, cron: '61 * * * *' })).body.detail).toMatch(/^cron: Constraint error/);
      expect((await sched({ ...base4cp, tz: 'Mars/Olympus' })).body.detail).toBe('tz: unknown time zone "Mars/Olympus"');
      const created4cp = await sched(base4cp);
      undo.push(() => api(site, '/v1/grid/schedules/4cp', { method: 'DELETE' }));
      expect(created4cp.status).toBe(201);
      expect(created4cp.body.nextFireAt).toMatch(/T2\d:00:00\.000Z$/);
      expect((await api<any[]>(site, '/v1/grid/schedules')).body.map((x) => x.name)).toEqual(['4cp']);
      expect((await api(site, '/v1/grid/schedules/4cp', { method: 'DELETE' })).status).toBe(204);
      // A shed event is turned into a cap from the recorded baseline.
      // An hour ahead: agents are armed with events of the next 24 h.
      const inAnHour = Date.now() + 3_600_000;
      const shed = await api<any>(site, '/v1/grid/events', { method: 'POST', body: { shedKw: 10, startsAt: new Date(inAnHour).toISOString(), endsAt: new Date(inAnHour + 3_600_000).toISOString(), program: 'ERS-10', rampMinutes: 5 } });
      undo.push(() => api(site, `/v1/grid/events/${shed.body.id}`, { method: 'DELETE' }));
      expect(shed.status).toBe(201);
      expect(shed.body).toMatchObject({ shedKw: 10, program: 'ERS-10', rampMinutes: 5, mandatory: true, source: 'rest' });
      expect(shed.body.capKw).toBeCloseTo(shed.body.baselineKw - 10, 2);
      // Mandatory and ahead: every ASIC agent is armed with its part of the plan, and disarmed when it is deleted.
      const r = openRedis(site.redis.url);
      try {
        const armed = await waitFor('asic-1 armed', async () => r.hget(agentArmedKey('asic-1'), shed.body.id), { timeoutMs: 10_000 });
        expect(Object.keys(JSON.parse(armed).devices).length).toBeGreaterThan(0);
        expect((await api(site, `/v1/grid/events/${shed.body.id}`, { method: 'DELETE' })).status).toBe(204);
        await waitFor('asic-1 disarmed', async () => (await r.hget(agentArmedKey('asic-1'), shed.body.id)) === null, { timeoutMs: 5000 });
      } finally {
        r.disconnect();
      }
      expect((await api<any[]>(site, '/v1/jobs?limit=1000')).body.length).toBe(before);
      expect((await api(site, '/v1/site/contract', { method: 'PUT', body: { capKw: 10 }, token: TENANT })).status).toBe(403);
      expect((await api(site, '/v1/site', { token: 'nope-nope-nope' })).status).toBe(401);
      expect((await api(site, '/v1/jobs/job-missing')).status).toBe(404);
      expect((await api(site, '/v1/prices/energy', { method: 'PUT', body: { intervals: [{ start: '2026-01-01T01:00:00Z', end: '2026-01-01T00:00:00Z', pricePerMWh: 5 }] } })).body.detail).toMatch(/^intervals\[0\]\.end: must be after start/);
      expect((await api(site, '/v1/prices/hash', { method: 'PUT', body: { usdPerThDay: -1 } })).body.detail).toMatch(/^usdPerThDay: /);
      expect(await pricesOf()).toEqual(pricesBefore);
      // Priorities: every kind of bad list is refused with the reason, and changes nothing.
      const put = (body: unknown) => api<any>(site, '/v1/priorities', { method: 'PUT', body });
      expect((await put([{ name: 'critical', kind: 'gpu' }, { name: 'critical', kind: 'asic' }])).body.detail).toMatch(/^\[1\]\.name: duplicate class "critical"/);
      expect((await put([{ name: 'x', kind: 'fpga' }])).body.detail).toMatch(/^\[0\]\.kind: /);
      expect((await put([{ name: 'critical', kind: 'gpu', minKw: 5, maxKw: 2 }])).body.detail).toMatch(/^\[0\]\.minKw: 5 is above maxKw 2/);
      expect((await put([{ name: 'critical', kind: 'gpu' }, { name: 'floor', kind: 'asic', minKw: 1e5 }])).body).toMatchObject({ status: 422, title: 'Priorities cannot be satisfied' });
      expect((await put([{ name: 'critical', kind: 'gpu', miners: ['m-1'] }])).body.detail).toMatch(/^\[0\]\.miners: only asic classes hold miners/);
      expect((await put([{ name: 'critical', kind: 'gpu' }, { name: 'a', kind: 'asic', miners: ['m-1'] }, { name: 'b', kind: 'asic', miners: ['m-2', 'm-1'] }])).body.detail)
        .toMatch(/^\[2\]\.miners\[1\]: miner "m-1" is already in class "a"/);
      const someMiner = (await api<any[]>(site, '/v1/devices')).body.find((d) => d.kind === 'asic').id;
      const tooHigh = await put([{ name: 'critical', kind: 'gpu' }, { name: 'hosting', kind: 'asic', minKw: 50, miners: [someMiner] }]);
      expect(tooHigh.body).toMatchObject({ status: 422, title: 'Priorities cannot be satisfied' });
      expect(tooHigh.body.detail).toMatch(/^\[1\]\.minKw: a floor of 50 kW, but the 1 miners of hosting draw at most [\d.]+ kW/);
      const list = (await api<any[]>(site, '/v1/priorities')).body;
      expect(list.map((c) => c.name)).toEqual(['critical', 'asic-floor', 'standard', 'batch', 'asic-fill']);
      expect((await api(site, '/v1/jobs', { method: 'POST', token: TENANT, body: { class: 'vip', gpus: 1, durationS: 1 } })).body.detail).toMatch(/^class: not a gpu class/);
      // Device overrides.
      const miner = (await api<any[]>(site, '/v1/devices')).body.find((d) => d.kind === 'asic');
      expect((await api(site, `/v1/devices/${miner.id}`, { method: 'PATCH', body: { pinnedProfile: 'turbo' } })).body.detail).toMatch(/^pinnedProfile: "turbo" is not one of/);
      expect((await api(site, '/v1/devices/nope', { method: 'PATCH', body: { maintenance: true } })).status).toBe(404);
      undo.push(() => api(site, `/v1/devices/${miner.id}`, { method: 'PATCH', body: { maintenance: false } }));
      const patched = await api<any>(site, `/v1/devices/${miner.id}`, { method: 'PATCH', body: { maintenance: true } });
      expect(patched.body.override).toEqual({ maintenance: true });
      await waitFor('plan without the miner in maintenance', async () => (await api<any>(site, '/v1/plan')).body.excludedMiners.includes(miner.id), { timeoutMs: 3000 });
      expect((await api<any>(site, '/v1/plan')).body.classes.map((c: { name: string }) => c.name)).toEqual(['critical', 'asic-floor', 'standard', 'batch', 'asic-fill']);
      expect((await api<any>(site, `/v1/devices/${miner.id}`, { method: 'PATCH', body: { maintenance: false } })).body.override).toEqual({});
      // A hosting client's class over one miner shows in the plan with its own floor.
      const withHosting = [...list.slice(0, 2), { name: 'hosting', kind: 'asic', minKw: 0.5, miners: [someMiner] }, ...list.slice(2)];
      expect((await put(withHosting)).status).toBe(200);
      await waitFor('plan explains the hosting class', async () =>
        /over its 1 miners/.test((await api<any>(site, '/v1/plan')).body.classes.find((c: { name: string }) => c.name === 'hosting')?.why ?? ''), { timeoutMs: 3000 });
      expect((await put(list)).status).toBe(200);
      const s = (await api<any>(site, '/v1/site')).body;
      expect(s.contract).toEqual({ capKw: site.capKw, marginKw: site.marginKw });
      expect(Object.keys(s.power).sort()).toEqual(['asicKw', 'gpuKw', 'meteredKw', 'modelledKw', 'overheadKw', 'siteKw']);
    } finally {
      for (const u of undo.reverse()) await u().catch(() => undefined);
    }
  }, 30_000);
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedis, rangeStream } from '@wattbroker/bus';
import { SITE_SAMPLES_STREAM } from '@wattbroker/contracts';
import type { SiteSample } from '@wattbroker/contracts';
import { waitFor } from '@wattbroker/testkit';
import { api, startTestSite, type TestSite } from '../src/site.js';
import { oadrEvent, specValidator, startTestVtn, type TestVtn } from './vtn-server.js';

describe('the spec validator itself', () => {
  it('rejects what the spec rejects', () => {
    const v = specValidator();
    expect(v('reportRequest', { eventID: 'e', clientName: 'c', resources: [] })).toBeUndefined();
    expect(v('reportRequest', { eventID: 'e', clientName: 'c' })).toMatch(/resources/);
    expect(v('event', oadrEvent('e1', 'p1', new Date(), 10, 5))).toBeUndefined();
    expect(v('event', { ...oadrEvent('e1', 'p1', new Date(), 10, 5), programID: 'bad id!' })).toMatch(/programID/);
  });
});

describe('OpenADR 3.1 VEN against a test VTN (processes, private Redis)', () => {
  let vtn: TestVtn;
  let site: TestSite;
  let configDir: string | undefined;
  const samples = async (from: number) => {
    const r = openRedis(site.redis.url);
    try {
      return (await rangeStream(r, SITE_SAMPLES_STREAM, String(from), '+')).map((e) => e.value as SiteSample);
    } finally {
      r.disconnect();
    }
  };

  beforeAll(async () => {
    vtn = await startTestVtn({ clientId: 'ven-1', clientSecret: 'ven-secret-1', programName: 'ERS-10' });
    // The VEN is set up from the scheduler's config file (the demo passes the same as flags).
    configDir = await mkdtemp(join(tmpdir(), 'wb-openadr-'));
    const configFile = join(configDir, 'scheduler.json');
    await writeFile(configFile, JSON.stringify({
      openadr: { vtnUrl: vtn.url, clientId: 'ven-1', clientSecret: 'ven-secret-1', programs: ['ERS-10'], pollS: 1, silentS: 3, failsafeKw: 30, simpleShed: [0.2, 0.4, 0.8], allowHttp: true },
    }));
    site = await startTestSite({ miners: 20, asicHosts: 1, gpuHosts: 0, gpusPerHost: 1, speed: 20, schedulerArgs: ['--config', configFile] });
    await waitFor('miners filled', async () => {
      const s = (await samples(Date.now() - 3000)).at(-1);
      return s && s.siteW > 0.9 * s.effectiveCapW;
    }, { timeoutMs: 60_000, intervalMs: 250 });
  }, 120_000);
  afterAll(async () => {
    await site?.stop();
    await vtn?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  }, 30_000);

  it('turns an IMPORT_CAPACITY_LIMIT event into a cap the site meets within 60 s of its start, and reports on it', async () => {
    const capKw = Math.round(site.capKw * 0.6);
    const start = new Date(Date.now() + 3000);
    vtn.events.push(oadrEvent('ev-1', 'prog-1', start, 15, capKw, 0.09));
    // Its PRICE payload (0.09 $/kWh) becomes the energy price for the interval.
    await waitFor('the OpenADR price in force', async () => (await api<any>(site, '/v1/prices')).body.rawPricePerMWh === 90, { timeoutMs: 12_000, intervalMs: 200 });
    const compliant = await waitFor('site under the OpenADR cap', async () => {
      const s = (await samples(start.getTime())).find((x) => x.siteW <= capKw * 1000);
      return s;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    expect(compliant.at - start.getTime()).toBeLessThanOrEqual(60_000);
    process.stderr.write(`OpenADR cap met ${((compliant.at - start.getTime()) / 1000).toFixed(1)} s after the event's start\n`);
    const events = (await api<any[]>(site, '/v1/grid/events')).body;
    expect(events.find((e) => e.source === 'openadr')).toMatchObject({ id: 'oadr-ev-1-0', capKw, program: 'ERS-10', mandatory: true });
    const report = await waitFor('a report for ev-1', () => vtn.reports.find((r) => r.eventID === 'ev-1'), { timeoutMs: 30_000, intervalMs: 200 });
    const iv = (report.resources as any[])[0].intervals[0];
    expect(iv.payloads.map((p: { type: string }) => p.type)).toEqual(['USAGE', 'DEMAND']);
    const during = (await samples(start.getTime())).filter((s) => s.at >= start.getTime() && s.at < start.getTime() + 15_000);
    const meanKw = during.reduce((a, s) => a + s.siteW, 0) / during.length / 1000;
    expect(iv.payloads[1].values[0]).toBeCloseTo(meanKw, 0);
    expect(vtn.validated).toBeGreaterThan(5);
    expect(vtn.violations).toEqual([]);
  }, 120_000);

  it('holds the fail-safe cap when the VTN goes silent', async () => {
    await vtn.close();
    await waitFor('fail-safe cap', async () => (await api<any[]>(site, '/v1/grid/events')).body.some((e) => e.id === 'oadr-failsafe' && e.capKw === 30), { timeoutMs: 20_000, intervalMs: 250 });
    expect(vtn.violations).toEqual([]);
  }, 30_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KpisViewSchema } from '@wattbroker/contracts';
import { TENANT, startInProcessSite } from './in-process-site.js';

/** GET /v1/kpis: the backtest's KPIs over the recorded samples of the last window (scheduler in-process, virtual clock, real Redis). */
describe('GET /v1/kpis', () => {
  let site: Awaited<ReturnType<typeof startInProcessSite>>;

  beforeAll(async () => {
    site = await startInProcessSite({ miners: 10, gpuHosts: [{ id: 'gpu-1', gpus: 8 }], capW: (10 * 3300 + 8 * 700) * 1.1 });
    await site.run(5000);
    await site.api('/v1/jobs', { method: 'POST', token: TENANT, body: { class: 'standard', gpus: 2, durationS: 5 } });
    await site.run(20_000);
  }, 60_000);
  afterAll(() => site?.stop(), 30_000);

  it('answers the last hour from the recorded samples and jobs, in the response schema', async () => {
    const r = await site.api('/v1/kpis?window=1h', { token: TENANT });
    expect(r.status).toBe(200);
    const k = KpisViewSchema.parse(r.body);
    expect(k.window.samples).toBeGreaterThanOrEqual(20);
    expect(k.contractEnergyUsedPct).toBeGreaterThan(50);
    expect(k.contractEnergyUsedPct).toBeLessThanOrEqual(100);
    expect(k.secondsOverCap).toBe(0);
    expect(k.admissionWait.standard).toMatchObject({ submitted: 1, started: 1 });
    expect(k.admissionWait.standard!.waitP95Ms).toBeGreaterThanOrEqual(0);
    expect(k.energyCostUsd).toBeNull(); // no energy price set
    // A shorter window sees fewer samples; the default is one hour.
    const short = KpisViewSchema.parse((await site.api('/v1/kpis?window=5s', { token: TENANT })).body);
    expect(short.window.samples).toBeLessThan(k.window.samples);
    expect(KpisViewSchema.parse((await site.api('/v1/kpis', { token: TENANT })).body).window.seconds).toBeGreaterThan(0);
  });

  it('refuses a bad window naming the field, and needs a token', async () => {
    for (const w of ['2d', 'soon', '48h']) {
      const r = await site.api<any>(`/v1/kpis?window=${w}`, { token: TENANT });
      expect(r.status).toBe(400);
      expect(r.body.detail).toMatch(/^window: /);
    }
    const res = await fetch(`${site.url}/v1/kpis`);
    expect(res.status).toBe(401);
  });
});

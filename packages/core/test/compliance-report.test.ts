import { describe, expect, it } from 'vitest';
import { buildComplianceReport, complianceCsv } from '../src/index.js';
import type { SiteSample } from '@wattbroker/contracts';

const sample = (at: number, siteW: number): SiteSample => ({
  at, effectiveCapW: 0, contractCapW: 0, marginW: 0, siteW, asicW: siteW, gpuW: 0, overheadW: 0, worstCaseSiteW: siteW,
  hashrateThs: 0, silentHosts: [], offTarget: 0, jobs: { queued: 0, admitting: 0, running: 0 },
});

describe('compliance report', () => {
  const t0 = Date.UTC(2026, 6, 1, 15, 0, 0);
  // An hour at 1000 kW, then the event (cap 600 kW from t0 for 20 min): 4 s to get under.
  const samples: SiteSample[] = [];
  for (let s = -3600; s < 0; s++) samples.push(sample(t0 + s * 1000, 1_000_000));
  for (let s = 0; s < 1200; s++) samples.push(sample(t0 + s * 1000, s < 4 ? 1_000_000 - s * 100_000 : 590_000));
  const event = { id: 'e1', capW: 600_000, startsAt: t0, endsAt: t0 + 1_200_000, mandatory: true, source: 'rest' as const };

  it('derives every figure from the samples', () => {
    const r = buildComplianceReport(event, samples, t0 + 2_000_000);
    expect(r.baseline).toEqual({ method: 'mean-60m', kw: 1000, samples: 3600 });
    expect(r.requestedKw).toBe(600);
    expect(r.timeToComplianceS).toBe(4);
    expect(r.secondsAbove).toBe(4);
    expect(r.firstAbove).toBe(new Date(t0).toISOString());
    expect(r.samples).toBe(1200);
    const meanKw = (1000 + 900 + 800 + 700 + 1196 * 590) / 1200;
    expect(r.meanKw).toBeCloseTo(meanKw, 3);
    expect(r.deliveredReductionKw).toBeCloseTo(1000 - meanKw, 3);
    expect(r.requestedReductionKw).toBe(400);
    expect(r.series.s1).toHaveLength(1200);
    expect(r.series.m1).toHaveLength(20);
    expect(r.series.m1[1]).toEqual({ at: new Date(t0 + 60_000).toISOString(), siteKw: 590 });
    expect(r.series.m15).toHaveLength(2);
    expect(r.complete).toBe(true);
  });

  it('reports an event in progress with no compliance yet, and writes CSV', () => {
    const r = buildComplianceReport(event, samples.slice(0, 3602), t0 + 2000, 'mean-15m');
    expect(r.baseline.samples).toBe(900);
    expect(r.timeToComplianceS).toBeNull();
    expect(r.complete).toBe(false);
    expect(complianceCsv(r)).toBe(`at,site_kw,requested_kw,above\r\n${new Date(t0).toISOString()},1000,600,1\r\n${new Date(t0 + 1000).toISOString()},900,600,1\r\n`);
  });
});

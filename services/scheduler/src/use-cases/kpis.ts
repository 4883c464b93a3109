import type { JobRecord, KpisView } from '@wattbroker/contracts';
import { jobKpis, siteKpis, type Controller, type KpiSample } from '@wattbroker/core';
import type { SiteStore } from '../ports.js';

/** What the KPI read model needs: the recorded samples and jobs, the prices in force, and the time. */
export interface KpisDeps {
  readonly store: Pick<SiteStore, 'samples' | 'jobs'>;
  readonly controller: Pick<Controller, 'prices'>;
  readonly now: () => number;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The backtest's KPIs live, over the last `windowMs` (`GET /v1/kpis`): from the site samples
 * the leader records every second, and the jobs submitted in the window. The same formulas
 * as `wattbroker backtest` (core read-models/kpis.ts). Profile transitions are not recorded
 * in the samples and are not reported here.
 */
export class Kpis {
  constructor(private readonly d: KpisDeps) {}

  async over(windowMs: number): Promise<KpisView> {
    const to = this.d.now();
    const from = to - windowMs;
    const prices = this.d.controller.prices(to);
    const price = prices.rawPricePerMWh;
    const hashprice = prices.hashpricePerThDay;
    const samples = await this.d.store.samples(from, to);
    const series: KpiSample[] = samples.map((s) => ({
      at: s.at, limitW: s.effectiveCapW + s.marginW, marginW: s.marginW, siteW: s.siteW, asicW: s.asicW, gpuW: s.gpuW, hashrateThs: s.hashrateThs,
      ...(price !== undefined ? { pricePerMWh: price } : {}), ...(hashprice !== undefined ? { hashpricePerThDay: hashprice } : {}),
    }));
    const k = siteKpis(series);
    const jobs = await this.jobsSince(from);
    const notes = [
      'samples: the leader\'s site sample of every second (measured IT + the cooling model), each standing for up to 5 s',
      ...(price !== undefined || hashprice !== undefined ? ['cost and revenue use the energy price and hashprice in force now for the whole window'] : []),
      ...(samples.length === 0 ? ['no samples in the window (no leader, or it just started)'] : []),
    ];
    return {
      window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), seconds: r3(k.durationS), samples: samples.length },
      energyMWh: r3(k.energyMWh), contractEnergyUsedPct: samples.length ? r3(k.contractEnergyUsedPct) : null,
      secondsOverCap: k.secondsOverCap, kWhOverCap: r3(k.kWhOverCap), maxDemand15minKw: r3(k.maxDemand15minKw), demandIntervalsOverCap: k.demandIntervalsOverCap,
      hashratePhDays: r3(k.hashratePhDays),
      energyCostUsd: price !== undefined ? r3(k.energyCostUsd) : null,
      miningRevenueUsd: hashprice !== undefined ? r3(k.miningRevenueUsd) : null,
      miningMarginUsdPerMWh: k.miningMarginUsdPerMWh !== undefined && hashprice !== undefined ? r3(k.miningMarginUsdPerMWh) : null,
      admissionWait: jobKpis(jobs, from, to),
      prices: { pricePerMWh: price ?? null, hashpricePerThDay: hashprice ?? null },
      notes,
    };
  }

  /** Jobs queued since `from`, newest first, a page at a time. */
  private async jobsSince(from: number): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await this.d.store.jobs({ limit: 1000, ...(before !== undefined ? { before } : {}) });
      for (const j of page) if ((j.timestamps.queued ?? 0) >= from) out.push(j);
      const last = page.at(-1)?.timestamps.queued;
      if (page.length < 1000 || last === undefined || last < from) return out;
      before = last;
    }
  }
}

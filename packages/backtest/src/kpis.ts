import { jobKpis, percentileOf, siteKpis, type KpiSample } from '@wattbroker/core';
import type { SimResult } from './sim-result.js';
import type { SimSite } from './site.js';

/** One policy's KPIs over a backtest (formulas: docs/backtest.md). */
export interface PolicyKpis {
  readonly policy: string;
  readonly label: string;
  readonly durationS: number;
  readonly energyMWh: number;
  /** ∫ site ÷ ∫ (cap in force − margin). */
  readonly contractEnergyUsedPct: number;
  /** Where the rest of (cap − margin) went, % of it: GPUs drawing below the limits they are budgeted at (rule 3), head-room held for GPU jobs to come, the hysteresis band, and the rest (planner steps, sheds and raises under way, learned draws). */
  /** `gpuCredited` is negative: GPU room below their limits the GPU draw credit planned into the miners (within the margin). */
  readonly unusedPct: { readonly gpuBelowLimit: number; readonly gpuCredited: number; readonly heldForGpus: number; readonly hysteresis: number; readonly other: number };
  readonly secondsOverCap: number;
  readonly kWhOverCap: number;
  readonly maxDemand15minKw: number;
  readonly contractCapKw: number;
  readonly demandIntervalsOverCap: number;
  readonly hashratePhDays: number;
  readonly admissionWait: Record<string, ClassWaits>;
  readonly jobs: { readonly submitted: number; readonly done: number; readonly refused: number; readonly waitingAtEnd: number; readonly preemptions: number };
  readonly transitions: number;
  readonly transitionsPerMinerHour: number;
  readonly energyCostUsd: number;
  readonly miningRevenueUsd: number;
  readonly gpuRevenueUsd: number;
  readonly mining: WorkloadMoney;
  readonly inference: WorkloadMoney;
  readonly gridEvents: readonly GridEventKpis[];
  /** Seconds within the event's cap ÷ seconds of events, % (100 with no events). */
  readonly gridEventCompliancePct: number;
  readonly sim: { readonly steps: number; readonly ticksSkipped: number; readonly commands: number; readonly wallMs: number };
}

export interface ClassWaits {
  readonly submitted: number;
  readonly started: number;
  readonly done: number;
  readonly refused: number;
  readonly preemptions: number;
  /** Admission wait (queued → running, the first run), ms. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** Jobs that at some point waited because no host had the GPUs free, and the waits of the others (waits for power alone). */
  readonly gpuBoundJobs: number;
  readonly powerOnlyP95Ms: number | null;
  readonly powerOnlyMaxMs: number | null;
}

export interface WorkloadMoney {
  /** Site energy attributed to the workload (its devices and chassis, cooling by share of IT), MWh. */
  readonly mwh: number;
  readonly revenueUsd: number;
  readonly energyCostUsd: number;
  readonly revenueUsdPerMWh: number | null;
  readonly marginUsdPerMWh: number | null;
}

export interface GridEventKpis {
  readonly id: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly announcedS: number;
  readonly requestedKw: number;
  readonly baselineKw: number | null;
  readonly meanKw: number | null;
  readonly maxKw: number | null;
  readonly timeToComplianceS: number | null;
  readonly secondsAbove: number;
  readonly deliveredReductionKw: number | null;
  readonly requestedReductionKw: number | null;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r1 = (x: number) => Math.round(x * 10) / 10;

export function policyKpis(res: SimResult, site: SimSite): PolicyKpis {
  const s = res.series;
  const samples: KpiSample[] = new Array(s.n);
  for (let i = 0; i < s.n; i++) {
    const price = s.pricePerMWh[i]!;
    const hp = s.hashprice[i]!;
    samples[i] = {
      at: res.startEpochMs + i * 1000, limitW: s.limitW[i]!, marginW: s.marginW[i]!, siteW: s.siteW[i]!, asicW: s.asicW[i]!,
      // Inference's share of the site: the GPUs and their hosts' chassis.
      gpuW: s.gpuW[i]! + s.hostOverheadW[i]!, hashrateThs: s.hashrateThs[i]!,
      ...(Number.isNaN(price) ? {} : { pricePerMWh: price }), ...(Number.isNaN(hp) ? {} : { hashpricePerThDay: hp }),
    };
  }
  const k = siteKpis(samples);

  // Where the unused part of (cap − margin) went.
  const f = 1 + site.cooling.fractionOfIt;
  let budgetWs = 0;
  let slackWs = 0;
  let heldWs = 0;
  let creditWs = 0;
  for (let i = 0; i < s.n; i++) {
    budgetWs += Math.max(0, s.limitW[i]! - s.marginW[i]!);
    slackWs += Math.max(0, s.gpuLimitW[i]! - s.gpuW[i]!) * f;
    heldWs += s.heldW[i]! * f;
    creditWs += s.creditW[i]! * f;
  }
  const pct = (ws: number) => (budgetWs > 0 ? (ws / budgetWs) * 100 : 0);
  const hysteresisPct = pct((res.variant.policy.hysteresisW ?? 0) * f * s.n);
  const gpuBelowLimit = pct(slackWs);
  const heldForGpus = pct(heldWs);
  const gpuCredited = -pct(creditWs);
  const other = 100 - k.contractEnergyUsedPct - gpuBelowLimit - gpuCredited - heldForGpus - hysteresisPct;

  // Jobs.
  const waits = jobKpis(res.jobs.filter((j) => j.state !== 'refused').map((j) => ({
    class: j.class, gpus: j.gpus, state: j.state, timestamps: { queued: j.queuedAt, ...(j.runningAt !== undefined ? { running: j.runningAt } : {}) },
  })), Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  const admissionWait: Record<string, ClassWaits> = {};
  const classes = [...new Set(res.jobs.map((j) => j.class))].sort();
  for (const cls of classes) {
    const jobs = res.jobs.filter((j) => j.class === cls);
    const w = waits[cls];
    const powerOnly = jobs.filter((j) => !j.gpuBound && j.runningAt !== undefined).map((j) => j.runningAt! - j.queuedAt).sort((a, b) => a - b);
    admissionWait[cls] = {
      submitted: jobs.length, started: w?.started ?? 0, done: w?.done ?? 0, refused: jobs.filter((j) => j.state === 'refused').length,
      preemptions: jobs.reduce((a, j) => a + j.preempted, 0),
      p50Ms: w?.waitP50Ms ?? null, p95Ms: w?.waitP95Ms ?? null, p99Ms: w?.waitP99Ms ?? null, maxMs: w?.waitMaxMs ?? null,
      gpuBoundJobs: jobs.filter((j) => j.gpuBound).length, powerOnlyP95Ms: percentileOf(powerOnly, 95), powerOnlyMaxMs: powerOnly.at(-1) ?? null,
    };
  }
  const gpuRevenueUsd = res.jobs.reduce((a, j) => a + (j.gpuSeconds / 3600) * (site.gpuUsdPerHour[j.class] ?? 0), 0);

  // Grid events: compliance from the 1-second truth (as GET /v1/grid/events/:id/report does from samples).
  const events = res.gridEvents.map((g): GridEventKpis => {
    const from = Math.max(0, Math.ceil(g.startS));
    const to = Math.min(s.n, Math.ceil(g.endS));
    let sum = 0;
    let max = 0;
    let above = 0;
    let first: number | null = null;
    for (let i = from; i < to; i++) {
      const w = s.siteW[i]!;
      sum += w;
      max = Math.max(max, w);
      if (w > g.record.capW) above++;
      else first ??= i - g.startS;
    }
    let base = 0;
    let nb = 0;
    for (let i = Math.max(0, from - 3600); i < Math.min(from, s.n); i++) {
      base += s.siteW[i]!;
      nb++;
    }
    const baselineW = nb ? base / nb : null;
    const meanW = to > from ? sum / (to - from) : null;
    return {
      id: g.record.id, startsAt: new Date(g.record.startsAt).toISOString(), endsAt: new Date(g.record.endsAt).toISOString(), announcedS: g.announcedS,
      requestedKw: r3(g.record.capW / 1000), baselineKw: baselineW === null ? null : r3(baselineW / 1000), meanKw: meanW === null ? null : r3(meanW / 1000),
      maxKw: to > from ? r3(max / 1000) : null, timeToComplianceS: first, secondsAbove: above,
      deliveredReductionKw: baselineW !== null && meanW !== null ? r3((baselineW - meanW) / 1000) : null,
      requestedReductionKw: baselineW !== null ? r3(Math.max(0, baselineW - g.record.capW) / 1000) : null,
    };
  });
  const eventSeconds = res.gridEvents.reduce((a, g) => a + Math.max(0, Math.min(s.n, Math.ceil(g.endS)) - Math.max(0, Math.ceil(g.startS))), 0);
  const eventAbove = events.reduce((a, e) => a + e.secondsAbove, 0);

  const minerHours = (res.miners * k.durationS) / 3600;
  const inferenceRevenue = gpuRevenueUsd;
  const money = (mwh: number, revenueUsd: number, energyCostUsd: number): WorkloadMoney => ({
    mwh: r3(mwh), revenueUsd: r1(revenueUsd), energyCostUsd: r1(energyCostUsd),
    revenueUsdPerMWh: mwh > 0 ? r1(revenueUsd / mwh) : null, marginUsdPerMWh: mwh > 0 ? r1((revenueUsd - energyCostUsd) / mwh) : null,
  });
  return {
    policy: res.variant.key, label: res.variant.label, durationS: k.durationS, energyMWh: r3(k.energyMWh),
    contractEnergyUsedPct: r3(k.contractEnergyUsedPct),
    unusedPct: { gpuBelowLimit: r3(gpuBelowLimit), gpuCredited: r3(gpuCredited), heldForGpus: r3(heldForGpus), hysteresis: r3(hysteresisPct), other: r3(other) },
    secondsOverCap: k.secondsOverCap, kWhOverCap: r3(k.kWhOverCap), maxDemand15minKw: r1(k.maxDemand15minKw), contractCapKw: site.capW / 1000,
    demandIntervalsOverCap: k.demandIntervalsOverCap, hashratePhDays: r3(k.hashratePhDays), admissionWait,
    jobs: {
      submitted: res.jobs.length, done: res.jobs.filter((j) => j.state === 'done').length, refused: res.jobs.filter((j) => j.state === 'refused').length,
      waitingAtEnd: res.jobs.filter((j) => j.state === 'queued' || j.state === 'admitting').length, preemptions: res.jobs.reduce((a, j) => a + j.preempted, 0),
    },
    transitions: res.transitions, transitionsPerMinerHour: minerHours > 0 ? r3(res.transitions / minerHours) : 0,
    energyCostUsd: r1(k.energyCostUsd), miningRevenueUsd: r1(k.miningRevenueUsd), gpuRevenueUsd: r1(gpuRevenueUsd),
    mining: money(k.miningMWh, k.miningRevenueUsd, k.miningEnergyCostUsd),
    inference: money(k.inferenceMWh, inferenceRevenue, k.inferenceEnergyCostUsd),
    gridEvents: events, gridEventCompliancePct: eventSeconds > 0 ? r3(((eventSeconds - eventAbove) / eventSeconds) * 100) : 100,
    sim: { steps: res.stats.steps, ticksSkipped: res.stats.ticksSkipped, commands: res.stats.commands, wallMs: Math.round(res.stats.wallMs) },
  };
}

/** The four control-quality targets, on one policy's KPIs. */
export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly value: string;
  readonly met: boolean;
}

export function checkTargets(k: PolicyKpis): TargetCheck[] {
  const p95 = (cls: string) => k.admissionWait[cls]?.p95Ms ?? null;
  const waitsOk = ['critical', 'standard'].every((c) => (p95(c) ?? 0) <= 1000);
  const fmtMs = (x: number | null) => (x === null ? 'n/a' : `${(x / 1000).toFixed(2)} s`);
  return [
    { name: 'contract energy used', target: '≥ 99.5 % of (cap − margin)', value: `${k.contractEnergyUsedPct.toFixed(2)} %`, met: k.contractEnergyUsedPct >= 99.5 },
    {
      name: 'cap', target: '0 s above the cap, 15-min max demand ≤ cap', value: `${k.secondsOverCap} s above, max demand ${k.maxDemand15minKw} kW of ${k.contractCapKw} kW, ${k.demandIntervalsOverCap} interval(s) above their cap`,
      met: k.secondsOverCap === 0 && k.demandIntervalsOverCap === 0 && k.maxDemand15minKw <= k.contractCapKw,
    },
    { name: 'GPU admission wait', target: 'p95 ≤ 1 s (critical, standard)', value: `critical ${fmtMs(p95('critical'))}, standard ${fmtMs(p95('standard'))}`, met: waitsOk },
    { name: 'profile transitions', target: '≤ 2 per miner-hour', value: `${k.transitionsPerMinerHour.toFixed(2)} per miner-hour`, met: k.transitionsPerMinerHour <= 2 },
  ];
}

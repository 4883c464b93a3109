/**
 * Control-quality and money KPIs over a series of site samples and the jobs of the same
 * period. Pure arithmetic, shared by the backtest (packages/backtest, samples of the
 * simulated truth each second) and the scheduler's `GET /v1/kpis` (the recorded site
 * samples of the last hour), so both speak the same formulas (docs/backtest.md lists them).
 *
 * Each sample stands for the time until the next one (at most `maxStepMs`; the last one for
 * `lastStepMs`). Energy is W·s summed; MWh = W·s / 3.6e9.
 */
export interface KpiSample {
  /** Epoch ms. */
  readonly at: number;
  /** The cap in force at the point of connection (contract or grid event), before the margin, W. */
  readonly limitW: number;
  readonly marginW: number;
  /** Site power at the point of connection (metered or true), and its parts (W). */
  readonly siteW: number;
  readonly asicW: number;
  readonly gpuW: number;
  readonly hashrateThs: number;
  /** Energy price in force ($/MWh) and hashprice ($/TH/day), when known. */
  readonly pricePerMWh?: number;
  readonly hashpricePerThDay?: number;
}

export interface SiteKpis {
  readonly durationS: number;
  readonly energyMWh: number;
  /** ∫ site power ÷ ∫ (cap in force − margin), %. */
  readonly contractEnergyUsedPct: number;
  /** Seconds with site power above the cap in force (the margin not counted), and the energy above it. */
  readonly secondsOverCap: number;
  readonly kWhOverCap: number;
  /** Highest mean site power of a clock-aligned 15-minute interval, and how many intervals averaged above their cap. */
  readonly maxDemand15minKw: number;
  readonly demandIntervalsOverCap: number;
  readonly hashratePhDays: number;
  readonly energyCostUsd: number;
  readonly miningRevenueUsd: number;
  /** Site energy attributed to mining and to inference (cooling and chassis split by device draw), MWh. */
  readonly miningMWh: number;
  readonly inferenceMWh: number;
  readonly miningEnergyCostUsd: number;
  readonly inferenceEnergyCostUsd: number;
  /** (mining revenue − its energy cost) ÷ its MWh; undefined without prices. */
  readonly miningMarginUsdPerMWh: number | undefined;
}

const MWH = 3.6e9;

export function siteKpis(samples: readonly KpiSample[], opts: { maxStepMs?: number; lastStepMs?: number } = {}): SiteKpis {
  const maxStep = opts.maxStepMs ?? 5000;
  const lastStep = opts.lastStepMs ?? 1000;
  let secs = 0;
  let siteWs = 0;
  let budgetWs = 0;
  let overS = 0;
  let overWs = 0;
  let thsS = 0;
  let costUsd = 0;
  let revenueUsd = 0;
  let miningWs = 0;
  let inferenceWs = 0;
  let miningCost = 0;
  let inferenceCost = 0;
  let priced = false;
  const intervals = new Map<number, { ws: number; s: number; limitWs: number }>();
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i]!;
    const next = samples[i + 1];
    const dt = Math.min(maxStep, next ? Math.max(0, next.at - x.at) : lastStep) / 1000;
    if (dt <= 0) continue;
    secs += dt;
    siteWs += x.siteW * dt;
    budgetWs += Math.max(0, x.limitW - x.marginW) * dt;
    if (x.siteW > x.limitW) {
      overS += dt;
      overWs += (x.siteW - x.limitW) * dt;
    }
    thsS += x.hashrateThs * dt;
    const devices = x.asicW + x.gpuW;
    const miningShare = devices > 0 ? x.asicW / devices : 0;
    miningWs += x.siteW * miningShare * dt;
    inferenceWs += x.siteW * (1 - miningShare) * dt;
    if (x.pricePerMWh !== undefined) {
      priced = true;
      costUsd += (x.siteW * dt * x.pricePerMWh) / MWH;
      miningCost += (x.siteW * miningShare * dt * x.pricePerMWh) / MWH;
      inferenceCost += (x.siteW * (1 - miningShare) * dt * x.pricePerMWh) / MWH;
    }
    if (x.hashpricePerThDay !== undefined) revenueUsd += (x.hashrateThs * x.hashpricePerThDay * dt) / 86_400;
    const k = Math.floor(x.at / 900_000);
    const b = intervals.get(k) ?? { ws: 0, s: 0, limitWs: 0 };
    b.ws += x.siteW * dt;
    b.s += dt;
    b.limitWs += x.limitW * dt;
    intervals.set(k, b);
  }
  let maxDemandW = 0;
  let intervalsOver = 0;
  for (const b of intervals.values()) {
    if (b.s <= 0) continue;
    maxDemandW = Math.max(maxDemandW, b.ws / b.s);
    if (b.ws > b.limitWs) intervalsOver++;
  }
  const miningMWh = miningWs / MWH;
  return {
    durationS: secs,
    energyMWh: siteWs / MWH,
    contractEnergyUsedPct: budgetWs > 0 ? (siteWs / budgetWs) * 100 : 0,
    secondsOverCap: overS,
    kWhOverCap: overWs / 3.6e6,
    maxDemand15minKw: maxDemandW / 1000,
    demandIntervalsOverCap: intervalsOver,
    hashratePhDays: thsS / 86_400 / 1000,
    energyCostUsd: costUsd,
    miningRevenueUsd: revenueUsd,
    miningMWh,
    inferenceMWh: inferenceWs / MWH,
    miningEnergyCostUsd: miningCost,
    inferenceEnergyCostUsd: inferenceCost,
    miningMarginUsdPerMWh: priced && miningMWh > 0 ? (revenueUsd - miningCost) / miningMWh : undefined,
  };
}

/** What the job KPIs need of a job: its class and when it entered each state (epoch ms). */
export interface KpiJob {
  readonly class: string;
  readonly gpus: number;
  readonly state: string;
  readonly timestamps: Partial<Record<'queued' | 'admitting' | 'running' | 'done' | 'failed' | 'cancelled', number>>;
}

export interface ClassKpis {
  readonly submitted: number;
  readonly started: number;
  readonly done: number;
  /** Still queued or admitting at the end of the period. */
  readonly waiting: number;
  /** Admission wait (queued → running), ms, of the jobs that started; null when none did. */
  readonly waitP50Ms: number | null;
  readonly waitP95Ms: number | null;
  readonly waitP99Ms: number | null;
  readonly waitMaxMs: number | null;
}

/** Nearest-rank percentile of an ascending list. */
export function percentileOf(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Per class: jobs submitted in [from, to) and their admission waits. */
export function jobKpis(jobs: readonly KpiJob[], from: number, to: number): Record<string, ClassKpis> {
  const by = new Map<string, { submitted: number; started: number; done: number; waiting: number; waits: number[] }>();
  for (const j of jobs) {
    const q = j.timestamps.queued;
    if (q === undefined || q < from || q >= to) continue;
    const c = by.get(j.class) ?? { submitted: 0, started: 0, done: 0, waiting: 0, waits: [] };
    c.submitted++;
    if (j.timestamps.running !== undefined) {
      c.started++;
      c.waits.push(Math.max(0, j.timestamps.running - q));
    }
    if (j.state === 'done') c.done++;
    if (j.state === 'queued' || j.state === 'admitting') c.waiting++;
    by.set(j.class, c);
  }
  const out: Record<string, ClassKpis> = {};
  for (const [name, c] of [...by].sort((a, b) => a[0].localeCompare(b[0]))) {
    const w = c.waits.sort((a, b) => a - b);
    out[name] = {
      submitted: c.submitted, started: c.started, done: c.done, waiting: c.waiting,
      waitP50Ms: percentileOf(w, 50), waitP95Ms: percentileOf(w, 95), waitP99Ms: percentileOf(w, 99), waitMaxMs: w.length ? w[w.length - 1]! : null,
    };
  }
  return out;
}

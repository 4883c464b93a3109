import type { Trace } from '@wattbroker/contracts';
import { mulberry32, type Rng } from '@wattbroker/core';

/**
 * Trace generators (`wattbroker trace generate --kind K …`): reproducible for a seed. Job
 * rates scale with the site's GPU count, grid events with its contract, so one generator
 * serves the demo's 16 GPUs and a 32-GPU bench site alike.
 *
 * - `bursty`: an inference day. Critical and standard jobs come in bursts (a burst is 2–6
 *   jobs within ~15 s, 1, 2 or 4 GPUs each, lognormal durations around 45 s), at a diurnal
 *   rate (quiet at 04:00, peak around 16:00, when they fill `peakLoad` of the GPUs on
 *   average); batch jobs (1–4 GPUs, 10–40 min) arrive steadily beside them, more at night;
 *   day-ahead energy prices with a morning and an evening bump.
 * - `4cp`: an ERCOT-style summer afternoon (12:00–19:00 local): the same bursty load, a
 *   summer price curve, and one mandatory grid event at the 4CP peak hour (16:30–17:30)
 *   announced 30 minutes ahead, capping the site at 60 % of its contract.
 * - `price-spike`: a day whose evening price spikes far above the miners' breakeven
 *   (17:00–19:30, up to $1,800/MWh), so the price stop should sleep them.
 * - `demo`: what `pnpm demo`'s own job generator submits (services/demo/src/main.ts): bursts
 *   of 3–10 jobs (20 % critical, 1–4 GPUs, 20–80 s of job time) every 6–18 s of wall time,
 *   for a site run at 10× physics (`physics.speed` 10, as the demo; job times run 10× faster
 *   there); no prices. For comparing a backtest with `pnpm demo --trace` (docs/backtest.md).
 */
export type TraceKind = 'bursty' | '4cp' | 'price-spike' | 'demo';
export const TRACE_KINDS: readonly TraceKind[] = ['bursty', '4cp', 'price-spike', 'demo'];

export interface TraceGenOptions {
  readonly kind: TraceKind;
  readonly seed: number;
  /** Length, hours (4cp: from 12:00 local; the others from midnight). */
  readonly hours?: number;
  /** GPUs of the site (job rates scale with it). @defaultValue 16 */
  readonly gpus?: number;
  /** The site's contract, kW (grid events scale with it). @defaultValue 442 */
  readonly capKw?: number;
  /** The trace's first instant. @defaultValue 2026-07-14T00:00:00-05:00 (4cp: T12:00) */
  readonly start?: string;
  /** Share of the GPUs critical and standard work fills at its daily peak. @defaultValue 0.2 */
  readonly peakLoad?: number;
  /** Batch work offered, as a share of the GPUs (at night; half of it by day). @defaultValue 0.35 */
  readonly batchLoad?: number;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function lognormal(rng: Rng, median: number, sigma: number): number {
  const u = Math.max(rng(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  return median * Math.exp(sigma * z);
}

const exp = (rng: Rng, mean: number) => -Math.log(Math.max(rng(), 1e-12)) * mean;

/** Diurnal shape of inference demand, 0–1 (hour of the local day). */
function diurnal(hour: number): number {
  const h = ((hour % 24) + 24) % 24;
  // Quiet at 04:00, peak at 16:00, a shoulder in the morning.
  const base = 0.5 - 0.5 * Math.cos((2 * Math.PI * (h - 4)) / 24);
  return 0.15 + 0.85 * base ** 1.3;
}

/** Day-ahead-like energy price, $/MWh (hour of the local day), before noise. */
function dayPrice(hour: number, hot: boolean): number {
  const h = ((hour % 24) + 24) % 24;
  const morning = Math.exp(-((h - 8) ** 2) / 4);
  const evening = Math.exp(-((h - 18.5) ** 2) / 6);
  return hot ? 32 + 14 * morning + 38 * evening : 24 + 8 * morning + 16 * evening;
}

export function generateTrace(o: TraceGenOptions): Trace {
  if (o.kind === 'demo') return demoTrace(o);
  const rng = mulberry32(o.seed);
  const gpus = o.gpus ?? 16;
  const capKw = o.capKw ?? 442;
  const kind = o.kind;
  const hours = o.hours ?? (kind === '4cp' ? 7 : 24);
  const start = o.start ?? (kind === '4cp' ? '2026-07-14T12:00:00-05:00' : '2026-07-14T00:00:00-05:00');
  // The diurnal shapes follow the clock the start is written in (local time).
  const clock = /T(\d\d):(\d\d)/.exec(start);
  const startHour = clock ? Number(clock[1]) + Number(clock[2]) / 60 : 0;
  const durationS = Math.round(hours * 3600);
  const peakLoad = o.peakLoad ?? 0.2;
  const batchLoad = o.batchLoad ?? 0.35;
  const jobs: Trace['jobs'] = [];

  // Critical and standard bursts: GPU-seconds per burst ≈ jobs 4 × GPUs 1.6 × ~60 s.
  const meanBurstGpuS = 4 * 1.6 * 60;
  const peakBurstsPerS = (peakLoad * gpus) / meanBurstGpuS;
  for (let t = exp(rng, 60); t < durationS; ) {
    const hour = startHour + t / 3600;
    // Thinning: candidate bursts at the peak rate, kept with the diurnal shape.
    if (rng() < diurnal(hour)) {
      const n = 2 + Math.floor(rng() * 5);
      for (let k = 0; k < n; k++) {
        const at = t + rng() * 15;
        if (at >= durationS) break;
        const r = rng();
        jobs.push({
          at: round(at, 2), class: rng() < 0.2 ? 'critical' : 'standard', gpus: r < 0.6 ? 1 : r < 0.9 ? 2 : 4,
          durationS: Math.round(Math.min(900, Math.max(10, lognormal(rng, 45, 0.75)))),
        });
      }
    }
    t += exp(rng, 1 / peakBurstsPerS);
  }
  // Batch: steady arrivals, twice as many at night; 1–4 GPUs, 10–40 minutes.
  const meanBatchGpuS = 2.2 * 25 * 60;
  const batchPerS = (batchLoad * gpus) / meanBatchGpuS;
  for (let t = exp(rng, 1 / batchPerS); t < durationS; t += exp(rng, 1 / batchPerS)) {
    const hour = startHour + t / 3600;
    if (rng() < 1 - 0.5 * diurnal(hour)) {
      jobs.push({ at: round(t, 2), class: 'batch', gpus: 1 + Math.floor(rng() * 4), durationS: Math.round(600 + rng() * 1800) });
    }
  }
  jobs.sort((a, b) => a.at - b.at);

  // Prices every 15 minutes (day-ahead granularity), hashprice hourly with a slow drift.
  const prices: Trace['prices'] = [];
  for (let t = 0; t < durationS; t += 900) {
    const hour = startHour + t / 3600;
    let p = dayPrice(hour, kind === '4cp') * (1 + 0.08 * (rng() - 0.5));
    if (kind === 'price-spike' && hour >= 17 && hour < 19.5) p = 450 + 1350 * Math.sin((Math.PI * (hour - 17)) / 2.5) * (0.9 + 0.2 * rng());
    prices.push({ at: t, pricePerMWh: round(p, 2) });
  }
  const hashprice: Trace['hashprice'] = [];
  let hp = 0.052;
  for (let t = 0; t < durationS; t += 3600) {
    hashprice.push({ at: t, usdPerThDay: round(hp, 4) });
    hp = Math.max(0.03, hp * (1 + 0.01 * (rng() - 0.5)));
  }

  const gridEvents: Trace['gridEvents'] = [];
  if (kind === '4cp') {
    const at = (16.5 - startHour) * 3600;
    if (at < durationS) gridEvents.push({ at, durationS: 3600, capKw: round(capKw * 0.6, 1), noticeS: 1800, mandatory: true, program: 'ercot-4cp', id: '4cp-peak' });
  }
  const names: Record<Exclude<TraceKind, 'demo'>, string> = {
    bursty: 'bursty inference day', '4cp': 'ERCOT-style 4CP summer afternoon', 'price-spike': 'price spike day',
  };
  return {
    name: names[kind],
    description: `${hours} h, ${jobs.length} jobs for a site of ${gpus} GPUs and a ${capKw} kW contract (wattbroker trace generate --kind ${kind} --hours ${hours} --seed ${o.seed} --gpus ${gpus} --cap-kw ${capKw})`,
    generator: { kind, hours, seed: o.seed, gpus, capKw, peakLoad, batchLoad },
    start, durationS, jobs, gridEvents, prices, hashprice,
  };
}

function demoTrace(o: TraceGenOptions): Trace {
  const rng = mulberry32(o.seed);
  const durationS = Math.round((o.hours ?? 1 / 6) * 3600);
  const gpusPerHost = 8;
  const jobs: Trace['jobs'] = [];
  // As services/demo does at --speed 10: the first burst 3 s in, then every (30 + 60 r) / (10 / 2) s.
  for (let t = 3; t < durationS; t += (30 + rng() * 60) / 5) {
    const n = 3 + Math.floor(rng() * 8);
    for (let i = 0; i < n; i++) {
      const cls = rng() < 0.2 ? 'critical' : 'standard';
      const gpus = 1 + Math.floor(rng() * Math.min(4, gpusPerHost));
      jobs.push({ at: round(t + i * 0.01, 2), class: cls, gpus, durationS: Math.round(20 + rng() * 60) });
    }
  }
  return {
    name: 'demo job generator',
    description: `${round(durationS / 60, 1)} min of pnpm demo's bursty jobs, for a site at 10× physics (wattbroker trace generate --kind demo${o.hours !== undefined ? ` --hours ${o.hours}` : ''} --seed ${o.seed})`,
    generator: { kind: 'demo', hours: round(durationS / 3600, 4), seed: o.seed },
    start: o.start ?? '2026-07-14T12:00:00Z', durationS, jobs, gridEvents: [], prices: [], hashprice: [],
  };
}

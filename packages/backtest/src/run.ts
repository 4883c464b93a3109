import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BacktestPolicy, Trace } from '@wattbroker/contracts';
import { checkTargets, policyKpis, type PolicyKpis, type TargetCheck } from './kpis.js';
import type { SimResult } from './sim-result.js';
import { SiteSimulation } from './simulation.js';
import type { SimSite } from './site.js';
import { variants } from './variants.js';

export interface BacktestInput {
  readonly trace: Trace;
  readonly site: SimSite;
  readonly policy: BacktestPolicy;
  readonly warmupS?: number;
  readonly maxQuietMs?: number;
  readonly warmupStepGapMs?: number;
  /** How long a control step takes (SimOptions.stepMs; by default the measured step for the site's size). */
  readonly stepMs?: number;
  /** Progress over all policies, 0–1, and the policy running. */
  readonly onProgress?: (fraction: number, policy: string) => void;
}

export interface ParallelOptions {
  /** Worker threads at once (default: the machine's cores). */
  readonly threads?: number;
}

/** What `wattbroker backtest --json` prints (one object), without the per-second series. */
export interface BacktestSummary {
  readonly trace: { readonly name: string; readonly start: string; readonly durationS: number; readonly jobs: number; readonly gridEvents: number; readonly prices: number };
  readonly site: {
    readonly name: string; readonly miners: number; readonly gpus: number; readonly asicHosts: number; readonly gpuHosts: number;
    readonly contractCapKw: number; readonly marginKw: number; readonly coolingFraction: number; readonly physicsSpeed: number; readonly seed: number;
  };
  readonly policies: readonly PolicyKpis[];
  /** The four control-quality targets, on the first policy (wattbroker). */
  readonly targets: { readonly policy: string; readonly checks: readonly TargetCheck[] };
  readonly wallMs: number;
}

export interface BacktestRun {
  readonly summary: BacktestSummary;
  readonly results: readonly SimResult[];
}

/** Run every policy of the backtest (wattbroker and, unless turned off, the two baselines) on the same site and trace, one after another. */
export function runBacktest(input: BacktestInput): BacktestRun {
  const t0 = performance.now();
  const list = variants(input.site, input.policy);
  const results: SimResult[] = [];
  list.forEach((variant, k) => {
    const sim = new SiteSimulation({
      ...simOptions(input, variant),
      ...(input.onProgress ? { onProgress: (f: number) => input.onProgress!((k + f) / list.length, variant.label) } : {}),
    });
    results.push(sim.run());
  });
  return { summary: summarize(input, results, t0), results };
}

/**
 * The same, each policy in a worker thread of its own (they share nothing): on two cores the
 * three policies take about as long as the two slowest. The results are the same as
 * `runBacktest`'s, to the bit: each simulation is deterministic and alone in its thread.
 */
export async function runBacktestParallel(input: BacktestInput, opts: ParallelOptions = {}): Promise<BacktestRun> {
  const t0 = performance.now();
  const list = variants(input.site, input.policy);
  const threads = Math.max(1, Math.min(list.length, opts.threads ?? availableParallelism()));
  const progress = list.map(() => 0);
  const results: SimResult[] = new Array(list.length);
  const spawn = (data: unknown) => {
    if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
    // From TypeScript sources (tsx, the development condition): Node 20 does not hand its
    // loader hooks to workers, so the worker registers tsx itself before loading ours.
    const src = new URL('./worker.ts', import.meta.url).href;
    return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(src)}); })`, { eval: true, workerData: data });
  };
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < list.length) {
      const k = next++;
      const variant = list[k]!;
      results[k] = await new Promise<SimResult>((resolve, reject) => {
        const w = spawn(simOptions(input, variant));
        w.on('message', (m: { progress?: number; result?: SimResult }) => {
          if (m.progress !== undefined) {
            progress[k] = m.progress;
            input.onProgress?.(progress.reduce((a, b) => a + b, 0) / list.length, variant.label);
          }
          if (m.result) resolve(m.result);
        });
        w.on('error', reject);
        w.on('exit', (code) => {
          if (code !== 0) reject(new Error(`the simulation of ${variant.label} stopped (exit ${code})`));
        });
      });
    }
  };
  await Promise.all(Array.from({ length: threads }, one));
  return { summary: summarize(input, results, t0), results };
}

function simOptions(input: BacktestInput, variant: SimResult['variant']) {
  return {
    site: input.site, trace: input.trace, variant,
    ...(input.warmupS !== undefined ? { warmupS: input.warmupS } : {}),
    ...(input.maxQuietMs !== undefined ? { maxQuietMs: input.maxQuietMs } : {}),
    ...(input.warmupStepGapMs !== undefined ? { warmupStepGapMs: input.warmupStepGapMs } : {}),
    ...(input.stepMs !== undefined ? { stepMs: input.stepMs } : {}),
  };
}

function summarize(input: BacktestInput, results: readonly SimResult[], t0: number): BacktestSummary {
  const policies = results.map((r) => policyKpis(r, input.site));
  const s = input.site;
  return {
    trace: {
      name: input.trace.name ?? 'trace', start: input.trace.start, durationS: input.trace.durationS, jobs: input.trace.jobs.length,
      gridEvents: input.trace.gridEvents.length, prices: input.trace.prices.length,
    },
    site: {
      name: s.name, miners: s.units.length, gpus: s.gpuHosts.reduce((a, h) => a + h.gpus, 0), asicHosts: s.asicHosts.length, gpuHosts: s.gpuHosts.length,
      contractCapKw: s.capW / 1000, marginKw: s.marginW / 1000, coolingFraction: s.cooling.fractionOfIt, physicsSpeed: s.physics.speed, seed: s.seed,
    },
    policies,
    targets: { policy: policies[0]!.policy, checks: checkTargets(policies[0]!) },
    wallMs: Math.round(performance.now() - t0),
  };
}

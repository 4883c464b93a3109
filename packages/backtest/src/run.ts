import type { BacktestPolicy, Trace } from '@wattbroker/contracts';
import { checkTargets, policyKpis, type PolicyKpis, type TargetCheck } from './kpis.js';
import { SiteSimulation, type SimResult } from './simulation.js';
import type { SimSite } from './site.js';
import { variants } from './variants.js';

export interface BacktestInput {
  readonly trace: Trace;
  readonly site: SimSite;
  readonly policy: BacktestPolicy;
  readonly warmupS?: number;
  readonly maxQuietMs?: number;
  /** Progress over all policies, 0–1, and the policy running. */
  readonly onProgress?: (fraction: number, policy: string) => void;
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

/** Run every policy of the backtest (wattbroker and, unless turned off, the two baselines) on the same site and trace. */
export function runBacktest(input: BacktestInput): BacktestRun {
  const t0 = performance.now();
  const list = variants(input.site, input.policy);
  const results: SimResult[] = [];
  list.forEach((variant, k) => {
    const sim = new SiteSimulation({
      site: input.site, trace: input.trace, variant,
      ...(input.warmupS !== undefined ? { warmupS: input.warmupS } : {}),
      ...(input.maxQuietMs !== undefined ? { maxQuietMs: input.maxQuietMs } : {}),
      ...(input.onProgress ? { onProgress: (f: number) => input.onProgress!((k + f) / list.length, variant.label) } : {}),
    });
    results.push(sim.run());
  });
  const policies = results.map((r) => policyKpis(r, input.site));
  const s = input.site;
  const summary: BacktestSummary = {
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
  return { summary, results };
}

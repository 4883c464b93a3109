import type { PolicyKpis } from '../kpis.js';
import type { BacktestSummary } from '../run.js';

const n = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? 'n/a' : `${n(ms / 1000, 2)} s`);
const usd = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `$${n(x, 0)}`);

/** The KPI rows of the table, one value per policy. */
export function kpiRows(policies: readonly PolicyKpis[]): Array<[string, ...string[]]> {
  const classes = [...new Set(policies.flatMap((p) => Object.keys(p.admissionWait)))];
  const row = (name: string, f: (k: PolicyKpis) => string): [string, ...string[]] => [name, ...policies.map(f)];
  return [
    row('contract energy used (% of cap − margin)', (k) => `${n(k.contractEnergyUsedPct, 2)} %`),
    row('  unused: GPUs below their limits', (k) => `${n(k.unusedPct.gpuBelowLimit, 2)} %`),
    row('  unused: GPU room credited to the miners (margin)', (k) => `${n(k.unusedPct.gpuCredited, 2)} %`),
    row('  unused: held for GPU jobs to come', (k) => `${n(k.unusedPct.heldForGpus, 2)} %`),
    row('  unused: hysteresis band', (k) => `${n(k.unusedPct.hysteresis, 2)} %`),
    row('  unused: other (steps, moves, estimates)', (k) => `${n(k.unusedPct.other, 2)} %`),
    row('energy (MWh)', (k) => n(k.energyMWh, 2)),
    row('seconds above the cap', (k) => n(k.secondsOverCap, 0)),
    row('kWh above the cap', (k) => n(k.kWhOverCap, 2)),
    row('15-min maximum demand (kW)', (k) => `${n(k.maxDemand15minKw, 1)} of ${n(k.contractCapKw, 0)}`),
    row('hashrate (PH-days)', (k) => n(k.hashratePhDays, 3)),
    ...classes.flatMap((c) => [
      row(`wait ${c} p50 / p95 / p99`, (k) => {
        const w = k.admissionWait[c];
        return w ? `${s(w.p50Ms)} / ${s(w.p95Ms)} / ${s(w.p99Ms)}` : 'n/a';
      }),
      row(`  ${c}: waited for GPUs / power-only p95`, (k) => {
        const w = k.admissionWait[c];
        return w ? `${w.gpuBoundJobs} jobs / ${s(w.powerOnlyP95Ms)}` : 'n/a';
      }),
    ]),
    row('jobs done / refused / submitted', (k) => `${k.jobs.done} / ${k.jobs.refused} / ${k.jobs.submitted}`),
    row('jobs waiting at the end / preemptions', (k) => `${k.jobs.waitingAtEnd} / ${k.jobs.preemptions}`),
    row('profile transitions per miner-hour', (k) => n(k.transitionsPerMinerHour, 2)),
    row('energy cost', (k) => usd(k.energyCostUsd)),
    row('mining revenue', (k) => usd(k.miningRevenueUsd)),
    row('GPU revenue', (k) => usd(k.gpuRevenueUsd)),
    row('mining: revenue / margin per MWh', (k) => `${usd(k.mining.revenueUsdPerMWh)} / ${usd(k.mining.marginUsdPerMWh)}`),
    row('inference: revenue / margin per MWh', (k) => `${usd(k.inference.revenueUsdPerMWh)} / ${usd(k.inference.marginUsdPerMWh)}`),
    row('grid events: seconds within cap', (k) => (k.gridEvents.length ? `${n(k.gridEventCompliancePct, 2)} %` : 'no events')),
    ...(policies[0]!.gridEvents.length
      ? [row('grid events: time to compliance', (k) => k.gridEvents.map((e) => (e.timeToComplianceS === null ? 'never' : `${n(e.timeToComplianceS, 0)} s`)).join(', '))]
      : []),
    row('control steps (skipped ticks)', (k) => `${k.sim.steps} (${k.sim.ticksSkipped})`),
    row('simulated in', (k) => `${n(k.sim.wallMs / 1000, 1)} s`),
  ];
}

/** Markdown-style table with one column per policy, then the targets. */
export function formatTable(sum: BacktestSummary): string {
  const head: [string, ...string[]] = ['', ...sum.policies.map((p) => p.label)];
  const rows = [head, ...kpiRows(sum.policies)];
  const widths = head.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => `| ${r.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  const t = sum.trace;
  const st = sum.site;
  const out = [
    `wattbroker backtest: ${t.name}, ${n(t.durationS / 3600, 1)} h from ${t.start}, ${t.jobs} jobs, ${t.gridEvents} grid event(s)`,
    `site: ${st.name}: ${st.miners} miners on ${st.asicHosts} agents, ${st.gpus} GPUs on ${st.gpuHosts} hosts, contract ${st.contractCapKw} kW, margin ${st.marginKw} kW, cooling ${n(st.coolingFraction * 100, 0)} %, physics ${st.physicsSpeed}×`,
    '',
    line(rows[0]!),
    sep,
    ...rows.slice(1).map(line),
    '',
    `targets (${sum.targets.policy}):`,
    ...sum.targets.checks.map((c) => `  ${c.met ? '✔' : '✘'} ${c.name}: ${c.value} (target ${c.target})`),
    '',
  ];
  return out.join('\n');
}

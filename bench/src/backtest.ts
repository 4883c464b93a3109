/**
 * `pnpm bench:backtest [--miners 2000] [--gpus 32] [--hours 24] [--big-miners 100000] [--big-hours 1] [--no-big] [--no-day] [--json]`:
 * how fast a backtest replays a day. A bursty inference day (`wattbroker trace generate
 * --kind bursty`, sized for the site) on 2,000 catalog miners (10 agents) and 32 GPUs
 * (4 hosts × 8 H100): wattbroker alone, in this thread (the issue's target: ≤ 60 s for 24 h
 * at 1 s steps), and the three policies side by side (wattbroker, on/off curtailment, static
 * reserve) each in a worker thread, with their KPIs; then 100,000 miners (500 agents,
 * wattbroker alone) for `--big-hours` (1 h: a few minutes here, docs/benchmarks.md), with its
 * KPIs and the wall time per simulated hour. `--no-day` skips the day, `--no-big` the hour.
 * Pure CPU, no Redis, no sockets.
 *
 * It runs the packages as built (`pnpm bench:backtest` builds them first), the code a site
 * runs: through tsx from the TypeScript sources the same day takes ~7 % longer.
 */
import { parseArgs } from 'node:util';
import { BacktestPolicySchema, BacktestSiteSchema } from '@wattbroker/contracts';
import { generateTrace, resolveSite, runBacktest, runBacktestParallel, type BacktestRun } from '@wattbroker/backtest';
import { machine, progress, wantsJson } from './stats.js';

const { values } = parseArgs({
  options: {
    miners: { type: 'string', default: '2000' }, gpus: { type: 'string', default: '32' }, hours: { type: 'string', default: '24' },
    'big-miners': { type: 'string', default: '100000' }, 'big-hours': { type: 'string', default: '1' }, 'no-big': { type: 'boolean', default: false },
    'no-day': { type: 'boolean', default: false },
    json: { type: 'boolean' },
  },
});
const MINERS = Number(values.miners);
const GPUS = Number(values.gpus);
const HOURS = Number(values.hours);

function site(miners: number) {
  return resolveSite(BacktestSiteSchema.parse({
    name: `${miners.toLocaleString('en-US')} miners, ${GPUS} GPUs`, miners: { count: miners }, asicHosts: Math.max(1, Math.round(miners / 200)),
    gpuHosts: [{ count: Math.ceil(GPUS / 8), gpus: Math.min(8, GPUS) }],
    // Miners start where the planner would put them (not all at default): the warm-up does not move every one of them.
    physics: { speed: 1, tickS: 0.5, bootS: 20, unsafeBootS: 3, sleepTauS: 1, fastWake: true, initialProfile: 'planned', meterNoise: true },
  }));
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const summaryOf = (run: BacktestRun) => run.summary.policies.map((p) => ({
  policy: p.policy, simulatedS: r1(p.sim.wallMs / 1000), steps: p.sim.steps, ticksSkipped: p.sim.ticksSkipped,
  contractEnergyUsedPct: p.contractEnergyUsedPct, secondsOverCap: p.secondsOverCap, transitionsPerMinerHour: p.transitionsPerMinerHour,
  waitP95Ms: { critical: p.admissionWait.critical?.p95Ms ?? null, standard: p.admissionWait.standard?.p95Ms ?? null },
  hashratePhDays: p.hashratePhDays, miningRevenueUsd: p.miningRevenueUsd,
}));

const day = site(MINERS);
const trace = generateTrace({ kind: 'bursty', seed: 1, hours: HOURS, gpus: GPUS, capKw: day.capW / 1000 });
const policy = BacktestPolicySchema.parse({});

let day1: { aloneS: number; threeS: number; alone: BacktestRun; three: BacktestRun } | undefined;
if (!values['no-day']) {
  progress(`${MINERS} miners, ${GPUS} GPUs, ${HOURS} h (${trace.jobs.length} jobs): wattbroker alone…`);
  let t = performance.now();
  const alone = runBacktest({ trace, site: day, policy: { ...policy, baselines: false } });
  const aloneS = (performance.now() - t) / 1000;
  progress(`  ${r1(aloneS)} s; the three policies side by side, one worker thread each…`);
  t = performance.now();
  const three = await runBacktestParallel({ trace, site: day, policy });
  const threeS = (performance.now() - t) / 1000;
  progress(`  ${r1(threeS)} s`);
  day1 = { aloneS, threeS, alone, three };
}

let big: ({ miners: number; hours: number; wallS: number; warmupWallS: number; replayWallS: number; wallSPerSimulatedHour: number; rssMiB: number } & ReturnType<typeof summaryOf>[number]) | undefined;
if (!values['no-big']) {
  const bigMiners = Number(values['big-miners']);
  const bigHours = Number(values['big-hours']);
  const s = site(bigMiners);
  const tr = generateTrace({ kind: 'bursty', seed: 1, hours: bigHours, gpus: GPUS, capKw: s.capW / 1000, start: '2026-07-14T15:00:00-05:00' });
  progress(`${bigMiners} miners, ${bigHours} h (${tr.jobs.length} jobs): wattbroker alone…`);
  // A cold controller learns every miner's draw in its first minute and re-plans on each
  // (a planner rebuild, ~1 s at 100,000 miners): in the warm-up (not in the KPIs) steps are
  // at most one a second.
  const warmupS = 120;
  const warmEnd = warmupS / (warmupS + bigHours * 3600);
  let warmupWallS = 0;
  let lastTenth = 0;
  const t = performance.now();
  const run = runBacktest({
    trace: tr, site: s, policy: { ...policy, baselines: false }, warmupS, warmupStepGapMs: 1000,
    onProgress: (f) => {
      if (!warmupWallS && f >= warmEnd) warmupWallS = (performance.now() - t) / 1000;
      if (process.stderr.isTTY) process.stderr.write(`\r  ${Math.floor(f * 100)} %`);
      else if (Math.floor(f * 10) > lastTenth) {
        // Not a terminal (a log): a line every tenth of the way.
        lastTenth = Math.floor(f * 10);
        progress(`  ${lastTenth * 10} % after ${r1((performance.now() - t) / 1000)} s`);
      }
    },
  });
  const wallS = (performance.now() - t) / 1000;
  if (process.stderr.isTTY) process.stderr.write('\r');
  const p = run.summary.policies[0]!;
  big = {
    miners: bigMiners, hours: bigHours, wallS: r1(wallS), warmupWallS: r1(warmupWallS), replayWallS: r1(wallS - warmupWallS),
    // Wall time the replay (past the warm-up) takes per simulated hour, at this run's rate.
    wallSPerSimulatedHour: Math.round((wallS - warmupWallS) / bigHours),
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20), ...summaryOf(run)[0]!,
  };
  progress(`  ${r1(wallS)} s`);
}

const result = {
  benchmark: 'backtest', machine: machine(), miners: MINERS, gpus: GPUS, hours: HOURS, jobs: trace.jobs.length,
  ...(day1 ? { wattbrokerAloneS: r1(day1.aloneS), threePoliciesParallelS: r1(day1.threeS), targetS: 60, alone: summaryOf(day1.alone)[0], policies: summaryOf(day1.three) } : {}),
  big,
};
if (wantsJson) process.stdout.write(JSON.stringify(result) + '\n');
else {
  const ms = (x: number | null) => (x === null ? 'n/a' : `${(x / 1000).toFixed(2)} s`);
  const row = (p: ReturnType<typeof summaryOf>[number], name = p.policy) =>
    `| ${name} | ${p.simulatedS} s | ${p.steps.toLocaleString('en-US')} (${p.ticksSkipped.toLocaleString('en-US')}) | ${p.contractEnergyUsedPct.toFixed(2)} % | ${p.secondsOverCap} | ${p.transitionsPerMinerHour.toFixed(2)} | ${ms(p.waitP95Ms.critical)} / ${ms(p.waitP95Ms.standard)} | ${p.hashratePhDays.toFixed(2)} |`;
  process.stdout.write([
    `backtest benchmark — ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, ${result.machine.date}`,
    ...(day1 ? [`bursty inference day: ${HOURS} h, ${trace.jobs.length} jobs; ${MINERS.toLocaleString('en-US')} catalog miners on ${day.asicHosts.length} agents, ${GPUS} GPUs; control tick 1 s`] : []),
    '',
    '| run | wall time | target |',
    '|---|---:|---:|',
    ...(day1 ? [
      `| wattbroker alone (this thread) | ${r1(day1.aloneS)} s | ≤ 60 s |`,
      `| wattbroker + on/off + static reserve (a worker thread each) | ${r1(day1.threeS)} s | |`,
    ] : []),
    ...(big ? [`| ${big.miners.toLocaleString('en-US')} miners, ${big.hours} h (${Math.round(big.hours * 3600)} s), wattbroker alone | ${big.wallS} s: warm-up ${big.warmupWallS} s, the replay ${big.replayWallS} s (${big.steps.toLocaleString('en-US')} steps, RSS ${big.rssMiB} MiB): ≈ ${big.wallSPerSimulatedHour < 3600 ? `${r1(big.wallSPerSimulatedHour / 60)} min` : `${r1(big.wallSPerSimulatedHour / 3600)} h`} of wall time per simulated hour | reported |`] : []),
    '',
    '| policy | simulated in | steps (ticks skipped) | contract used | s over cap | transitions / miner-h | p95 wait critical / standard | PH-days |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...(day1 ? summaryOf(day1.three).map((p) => row(p)) : []),
    ...(big ? [row(big, `${big.policy}, ${big.miners.toLocaleString('en-US')} miners, ${big.hours} h`)] : []),
    '',
  ].join('\n'));
}

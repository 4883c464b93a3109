/**
 * `pnpm bench:planner [--json]`: the planner on catalog fleets of 1k, 10k and 100k miners
 * (25 profiles + sleep each) at 90 / 70 / 50 % of stock power, beside two baselines in the
 * same run: the LP bound (how far from optimal) and on/off curtailment (what a site without
 * profile control gets: stock or off, least efficient off first). A second table times the
 * same fleets through `FleetPlanner` (validation, flattening, prepare, solve), as a
 * controller uses it.
 */
import {
  FleetPlanner, fleetTables, generateFleet, onOffBaseline, plannerProfiles, prepare, solve, type PlanMiner, type PreparedFleet,
} from '@wattbroker/core';
import { machine, median, progress, timeMs, wantsJson } from './stats.js';

const SIZES = [1_000, 10_000, 100_000];
const FRACTIONS = [0.9, 0.7, 0.5];
const FULL_RUNS = 7;
const RESOLVE_RUNS = 21;

interface Row {
  tables: 'catalog' | 'distinct';
  distinctTables: number;
  miners: number;
  budgetPct: number;
  fullSolveMs: number;
  resolveMs: number;
  hashrateThs: number;
  lpBoundThs: number;
  gapPct: number;
  onOffThs: number;
  vsOnOffPct: number;
  preparedMiB: number;
  /** At 70 % only: `new FleetPlanner(miners).solve(…)`, and a re-solve read through `optionIndex`. */
  plannerFullMs?: number;
  plannerResolveMs?: number;
}

function preparedBytes(p: PreparedFleet): number {
  let bytes = 0;
  for (const v of [...Object.values(p), ...Object.values(p.groups)]) {
    if (ArrayBuffer.isView(v) && v !== p.fleet.offsets) bytes += v.byteLength;
  }
  return bytes;
}

/**
 * Two kinds of fleet: `catalog`, as generated (units share a table when their model and
 * default-voltage bin match, as on a real site), and `distinct`, every option nudged by a
 * different fraction of a watt so that no two tables are equal: the planner's worst case.
 */
const CASES: Array<{ tables: Row['tables']; miners: number; fractions: number[] }> = [
  ...SIZES.map((miners) => ({ tables: 'catalog' as const, miners, fractions: FRACTIONS })),
  { tables: 'distinct', miners: 10_000, fractions: [0.7] },
  { tables: 'distinct', miners: 100_000, fractions: [0.7] },
];

const rows: Row[] = [];
for (const { tables: kind, miners: n, fractions } of CASES) {
  progress(`${kind} fleet of ${n.toLocaleString('en-US')} miners: generating…`);
  const units = generateFleet({ miners: n, seed: 42 });
  const tables = fleetTables(units.map((u) => ({ profiles: plannerProfiles(u) })));
  if (kind === 'distinct') for (let i = 0; i < tables.powerW.length; i++) tables.powerW[i] = tables.powerW[i]! + (i % 997) * 1e-4;
  const stockW = Float64Array.from(units, (u) => u.profiles.find((p) => p.step === 0)!.powerW);
  const stockThs = Float64Array.from(units, (u) => u.profiles.find((p) => p.step === 0)!.hashrateThs);
  const sleepW = Float64Array.from(units, (u) => u.sleepW);
  const stockTotal = stockW.reduce((a, b) => a + b, 0);
  const prepared = prepare(tables);
  for (const f of fractions) {
    const budgetW = f * stockTotal;
    // Full solve: everything from the flat tables (hulls, sort, greedy).
    solve(prepare(tables), { budgetW }); // warm-up
    const full = median(Array.from({ length: FULL_RUNS }, () => timeMs(() => solve(prepare(tables), { budgetW }))));
    // Re-solve after a budget change: the prepared steps are re-used.
    const other = budgetW * 1.01;
    const resolve = median(
      Array.from({ length: RESOLVE_RUNS }, (_, i) => timeMs(() => solve(prepared, { budgetW: i % 2 ? budgetW : other }))),
    );
    const s = solve(prepared, { budgetW });
    const onOff = onOffBaseline(stockW, stockThs, sleepW, budgetW);
    rows.push({
      tables: kind,
      distinctTables: prepared.groups.groupCount,
      miners: n,
      budgetPct: f * 100,
      fullSolveMs: full,
      resolveMs: resolve,
      hashrateThs: s.hashrateThs,
      lpBoundThs: s.lpBoundThs,
      gapPct: ((s.lpBoundThs - s.hashrateThs) / s.lpBoundThs) * 100,
      onOffThs: onOff.hashrateThs,
      vsOnOffPct: ((s.hashrateThs - onOff.hashrateThs) / onOff.hashrateThs) * 100,
      preparedMiB: preparedBytes(prepared) / 2 ** 20,
    });
    progress(`  ${f * 100} %: full ${full.toFixed(2)} ms, re-solve ${resolve.toFixed(3)} ms`);
  }
}

// FleetPlanner runs last, so that its PlanMiner objects (2.6 M profiles at 100k miners) do
// not weigh on the garbage collections of the rows above.
for (const { tables: kind, miners: n } of CASES) {
  const row = rows.find((r) => r.tables === kind && r.miners === n && r.budgetPct === 70)!;
  progress(`${kind} fleet of ${n.toLocaleString('en-US')} miners through FleetPlanner…`);
  const units = generateFleet({ miners: n, seed: 42 });
  const tables = fleetTables(units.map((u) => ({ profiles: plannerProfiles(u) })));
  if (kind === 'distinct') for (let i = 0; i < tables.powerW.length; i++) tables.powerW[i] = tables.powerW[i]! + (i % 997) * 1e-4;
  const stockTotal = units.reduce((sum, u) => sum + u.profiles.find((p) => p.step === 0)!.powerW, 0);
  Object.assign(row, timePlanner(units.map((u) => u.id), tables, 0.7 * stockTotal, row.hashrateThs));
  progress(`  constructor + first solve ${row.plannerFullMs!.toFixed(2)} ms, re-solve ${row.plannerResolveMs!.toFixed(3)} ms`);
}

/**
 * The same fleet as `PlanMiner` objects (the flat tables' values, so the same plan), timed
 * through `FleetPlanner`: constructor + first solve (median of FULL_RUNS), and a re-solve for
 * a new budget that reads the choices through `optionIndex` (median of RESOLVE_RUNS).
 */
function timePlanner(ids: readonly string[], tables: ReturnType<typeof fleetTables>, budgetW: number, hashrateThs: number) {
  const miners: PlanMiner[] = ids.map((id, m) => {
    const profiles = [];
    for (let i = tables.offsets[m]!; i < tables.offsets[m + 1]!; i++) {
      profiles.push({ name: `p${i - tables.offsets[m]!}`, powerW: tables.powerW[i]!, hashrateThs: tables.hashrateThs[i]! });
    }
    return { id, profiles };
  });
  let planner = new FleetPlanner(miners);
  if (planner.solve({ budgetW }).hashrateThs !== hashrateThs) throw new Error('FleetPlanner and prepare/solve disagree');
  const plannerFullMs = median(Array.from({ length: FULL_RUNS }, () => timeMs(() => {
    planner = new FleetPlanner(miners);
    planner.solve({ budgetW });
  })));
  let read = 0; // every re-solve's choices are read, as a controller would
  const plannerResolveMs = median(Array.from({ length: RESOLVE_RUNS }, (_, i) => timeMs(() => {
    read += planner.solve({ budgetW: i % 2 ? budgetW : budgetW * 1.01 }).optionIndex[0]!;
  })));
  if (!(read >= 0)) throw new Error('unreachable: option indices are ≥ −1 and miner 0 is free');
  return { plannerFullMs, plannerResolveMs };
}

const result = { benchmark: 'planner', machine: machine(), rssMiB: process.memoryUsage().rss / 2 ** 20, rows };
if (wantsJson) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const f = (x: number, d: number) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const lines = [
    `planner benchmark — ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, ${result.machine.date}`,
    '',
    '| tables | miners | budget | full solve (median) | re-solve (median) | hashrate TH/s | LP bound TH/s | gap | on/off TH/s | vs on/off | prepared |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) =>
      `| ${r.tables} (${f(r.distinctTables, 0)}) | ${f(r.miners, 0)} | ${r.budgetPct} % | ${f(r.fullSolveMs, 2)} ms | ${f(r.resolveMs, 3)} ms | ${f(r.hashrateThs, 0)} | ${f(r.lpBoundThs, 0)} | ${r.gapPct.toFixed(5)} % | ${f(r.onOffThs, 0)} | +${f(r.vsOnOffPct, 2)} % | ${f(r.preparedMiB, 1)} MiB |`),
    '',
    'Through FleetPlanner (PlanMiner objects in, 70 % budget):',
    '',
    '| tables | miners | constructor + first solve (median) | re-solve via optionIndex (median) |',
    '|---|---:|---:|---:|',
    ...rows.filter((r) => r.plannerFullMs !== undefined).map((r) =>
      `| ${r.tables} (${f(r.distinctTables, 0)}) | ${f(r.miners, 0)} | ${f(r.plannerFullMs!, 2)} ms | ${f(r.plannerResolveMs!, 3)} ms |`),
    '',
    `process RSS at the end: ${f(result.rssMiB, 0)} MiB`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BacktestFleetFileSchema, BacktestPolicySchema, BacktestSiteSchema, TraceSchema, type BacktestFleetFile, type BacktestPolicy, type BacktestSite,
} from '@wattbroker/contracts';
import { DEMO_SITE, formatTable, resolveSite, runBacktestParallel, siteIssues, writeReport } from '@wattbroker/backtest';
import { CliError, EXIT } from './cli-error.js';
import { progressBar } from './progress.js';
import { readJsonFile } from './read-json-file.js';

export const BACKTEST_USAGE = `usage: wattbroker backtest --trace FILE [--site FILE] [--policy FILE] [--out DIR] [--json] [--no-baselines] [--warmup-s S]

Replay a trace against the control core on a virtual clock (the emulator's miner physics,
simulated GPUs and agents, no Redis), beside two baselines (on/off curtailment, static
reserve); print the KPIs and write an HTML report with charts, CSVs and kpis.json.
  --trace FILE     {"start", "durationS", "jobs", "gridEvents", "prices", "hashprice"} (examples/traces/)
  --site FILE      miners, GPU hosts, contract, margin, cooling, zones, physics, agents (default: the demo's site)
  --policy FILE    priorities, dwell, hysteresis, head-room, preemption, tick (default: docs/backtest.md)
  --out DIR        report directory (default .wattbroker/backtest/<trace name>)
  --json           print one JSON object: trace, site, policies (KPIs each), targets, report
  --no-baselines   run the policy alone
  --warmup-s S     simulated time before the trace, to settle the site, not in the KPIs (default 300)
Exit codes: 0 ok (whether or not the targets are met: see "targets"), 1 the report could not be written, 2 bad usage or input file.`;

export async function backtestCommand(argv: string[], write: (s: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        trace: { type: 'string' }, site: { type: 'string' }, policy: { type: 'string' }, out: { type: 'string' },
        json: { type: 'boolean', default: false }, 'no-baselines': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
        'warmup-s': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${BACKTEST_USAGE}`, EXIT.usage);
  }
  if (values.help) {
    write(BACKTEST_USAGE + '\n');
    return EXIT.ok;
  }
  if (!values.trace) throw new CliError(`--trace FILE is required\n${BACKTEST_USAGE}`, EXIT.usage);
  const warmupS = values['warmup-s'] === undefined ? undefined : Number(values['warmup-s']);
  if (warmupS !== undefined && (!Number.isFinite(warmupS) || warmupS < 0 || values['warmup-s']!.trim() === '')) {
    throw new CliError(`--warmup-s: expected a number of seconds ≥ 0, got "${values['warmup-s']}"`, EXIT.usage);
  }
  const trace = await readJsonFile(values.trace, TraceSchema, 'trace');
  let siteFile: BacktestSite = DEMO_SITE;
  let fleet: BacktestFleetFile | undefined;
  if (values.site) {
    siteFile = await readJsonFile(values.site, BacktestSiteSchema, 'site file');
    if (siteFile.miners.fleetFile) fleet = await readJsonFile(resolve(dirname(values.site), siteFile.miners.fleetFile), BacktestFleetFileSchema, 'fleet file');
  }
  const issues = siteIssues(siteFile, fleet);
  if (issues.length) throw new CliError([`${values.site ?? 'site'}: invalid site file`, ...issues.map((i) => `  ${i.field}: ${i.message}`)].join('\n'), EXIT.usage);
  let policy: BacktestPolicy = BacktestPolicySchema.parse({});
  if (values.policy) policy = await readJsonFile(values.policy, BacktestPolicySchema, 'policy file');
  if (values['no-baselines']) policy = { ...policy, baselines: false };
  let site;
  try {
    site = resolveSite(siteFile, fleet);
  } catch (e) {
    throw new CliError(`${values.site ?? 'site'}: ${(e as Error).message}`, EXIT.usage);
  }

  const bar = progressBar(process.stderr);
  // One worker thread per policy (as many at once as there are cores); the results do not depend on it.
  const run = await runBacktestParallel({ trace, site, policy, ...(warmupS !== undefined ? { warmupS } : {}), onProgress: (f, label) => bar.update(f, label) });
  bar.done();
  const dir = values.out ?? join('.wattbroker', 'backtest', basename(values.trace).replace(/\.json$/i, ''));
  let files: string[];
  try {
    files = await writeReport(dir, run);
  } catch (e) {
    throw new CliError(`cannot write the report to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.failure);
  }
  const report = { dir, html: join(dir, 'report.html'), files: files.map((f) => basename(f)) };
  if (values.json) write(JSON.stringify({ ...run.summary, report }) + '\n');
  else write(`${formatTable(run.summary)}report: ${report.html} (and ${files.length - 1} more files in ${dir})\n`);
  return EXIT.ok;
}

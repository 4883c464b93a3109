import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BacktestFleetFileSchema, BacktestSiteSchema, type Trace } from '@wattbroker/contracts';
import { DEMO_SITE, TRACE_KINDS, generateTrace, resolveSite, siteIssues, type TraceKind } from '@wattbroker/backtest';
import { CliError, EXIT } from './cli-error.js';
import { readJsonFile } from './read-json-file.js';

export const TRACE_USAGE = `usage: wattbroker trace generate --kind ${TRACE_KINDS.join('|')} [--hours H] [--seed S] [--start ISO] [--site FILE | --gpus N --cap-kw N] [--out FILE]

Write a reproducible backtest trace (same options and seed, same bytes).
  --kind      bursty: an inference day (bursts of critical and standard jobs at a diurnal rate, batch beside them);
              4cp: an ERCOT-style summer afternoon with a mandatory grid event announced 30 minutes ahead;
              price-spike: a day whose evening price spikes far above the miners' breakeven
  --hours H   length (default 24; 4cp: 7, from 12:00)            --seed S   default 1
  --start ISO first instant, its local clock drives the daily shapes (default 2026-07-14T00:00:00-05:00; 4cp T12:00)
  --site FILE size jobs and events for this site (default: the demo's; or --gpus and --cap-kw)
  --out FILE  instead of stdout`;

export async function traceCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'generate') throw new CliError(TRACE_USAGE, EXIT.usage);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        kind: { type: 'string' }, hours: { type: 'string' }, seed: { type: 'string', default: '1' }, site: { type: 'string' },
        gpus: { type: 'string' }, 'cap-kw': { type: 'string' }, out: { type: 'string' }, start: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${TRACE_USAGE}`, EXIT.usage);
  }
  const kind = values.kind as TraceKind | undefined;
  if (!kind || !TRACE_KINDS.includes(kind)) throw new CliError(`--kind: expected one of ${TRACE_KINDS.join(', ')}, got ${values.kind === undefined ? 'nothing' : `"${values.kind}"`}\n${TRACE_USAGE}`, EXIT.usage);
  const num = (flag: string, v: string | undefined, min: number, integer = false) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new CliError(`--${flag}: expected ${integer ? 'a whole number' : 'a number'} ≥ ${min}, got "${v}"`, EXIT.usage);
    return n;
  };
  const hours = num('hours', values.hours, 0.01);
  const seed = num('seed', values.seed, 0, true)!;
  let gpus = num('gpus', values.gpus, 1, true);
  let capKw = num('cap-kw', values['cap-kw'], 1);
  if (values.site && (gpus !== undefined || capKw !== undefined)) throw new CliError('give --site or --gpus/--cap-kw, not both', EXIT.usage);
  if (gpus === undefined || capKw === undefined) {
    let siteFile = DEMO_SITE;
    let fleet;
    if (values.site) {
      siteFile = await readJsonFile(values.site, BacktestSiteSchema, 'site file');
      if (siteFile.miners.fleetFile) fleet = await readJsonFile(resolve(dirname(values.site), siteFile.miners.fleetFile), BacktestFleetFileSchema, 'fleet file');
      const issues = siteIssues(siteFile, fleet);
      if (issues.length) throw new CliError([`${values.site}: invalid site file`, ...issues.map((i) => `  ${i.field}: ${i.message}`)].join('\n'), EXIT.usage);
    }
    const site = resolveSite(siteFile, fleet);
    gpus ??= site.gpuHosts.reduce((a, h) => a + h.gpus, 0);
    capKw ??= site.capW / 1000;
  }
  if (values.start !== undefined && !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(values.start)) {
    throw new CliError(`--start: expected an ISO date-time with its offset, e.g. 2026-07-14T15:00:00-05:00, got "${values.start}"`, EXIT.usage);
  }
  const trace = generateTrace({ kind, seed, gpus, capKw, ...(hours !== undefined ? { hours } : {}), ...(values.start !== undefined ? { start: values.start } : {}) });
  const text = traceJson(trace);
  if (values.out) await writeFile(values.out, text);
  else write(text);
  return EXIT.ok;
}

/** One job, price or event per line: diffable, and still ordinary JSON. */
export function traceJson(t: Trace): string {
  const list = (name: string, xs: readonly unknown[]) => `  "${name}": [${xs.length ? `\n${xs.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ` : ''}]`;
  const head = Object.entries(t).filter(([k]) => !['jobs', 'gridEvents', 'prices', 'hashprice'].includes(k)).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${[...head, list('gridEvents', t.gridEvents), list('prices', t.prices), list('hashprice', t.hashprice), list('jobs', t.jobs)].join(',\n')}\n}\n`;
}

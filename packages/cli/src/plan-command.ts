import { parseArgs } from 'node:util';
import { FleetFileSchema, type FleetFile } from '@wattbroker/contracts';
import { FleetPlanner, type PlanResult } from '@wattbroker/core';
import { CliError, EXIT } from './cli-error.js';
import { fmt, kw } from './format.js';
import { readJsonFile } from './read-json-file.js';

export const PLAN_USAGE = `usage: wattbroker plan --fleet FILE [--budget-kw N] [--json]

Choose one profile per miner to maximise hashrate within a power budget.
  --fleet FILE     fleet JSON: { budgetW?, energyPricePerMWh?, hashpricePerThDay?, zones?, miners: [...] }
  --budget-kw N    budget in kW (overrides budgetW in the file)
  --json           print one JSON object: assignments, powerW, hashrateThs, lpBoundThs, solveMs
Exit codes: 0 ok, 2 bad usage or file, 3 budget below the fleet's minimum draw.`;

export interface PlanOutput {
  assignments: Record<string, string>;
  powerW: number;
  hashrateThs: number;
  lpBoundThs: number;
  solveMs: number;
}

export async function planCommand(argv: string[], write: (s: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        fleet: { type: 'string' },
        'budget-kw': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${PLAN_USAGE}`, EXIT.usage);
  }
  if (values.help) {
    write(PLAN_USAGE + '\n');
    return EXIT.ok;
  }
  if (!values.fleet) throw new CliError(`--fleet FILE is required\n${PLAN_USAGE}`, EXIT.usage);
  const fleet = await readJsonFile(values.fleet, FleetFileSchema);
  const budgetW = resolveBudgetW(values['budget-kw'], fleet);

  const started = performance.now();
  const planner = new FleetPlanner(fleet.miners);
  const economics = fleet.energyPricePerMWh !== undefined && fleet.hashpricePerThDay !== undefined
    ? { energyPricePerMWh: fleet.energyPricePerMWh, hashpricePerThDay: fleet.hashpricePerThDay }
    : undefined;
  const result = planner.solve({ budgetW, ...(fleet.zones ? { zoneBudgetW: fleet.zones } : {}), ...(economics ? { economics } : {}) });
  const solveMs = performance.now() - started;

  if (!result.feasible) {
    const what = result.infeasibleZone === undefined
      ? `budget ${fmt(budgetW)} W is ${fmt(result.deficitW)} W below the fleet's minimum draw of ${fmt(planner.minimumW)} W`
      : `zone "${result.infeasibleZone}": budget is ${fmt(result.deficitW)} W below the minimum draw of its miners`;
    throw new CliError(`infeasible: ${what} (every miner at its lowest-power profile)`, EXIT.infeasible);
  }
  const output: PlanOutput = {
    assignments: Object.fromEntries(result.assignments),
    powerW: round(result.powerW, 3),
    hashrateThs: round(result.hashrateThs, 3),
    lpBoundThs: round(result.lpBoundThs, 3),
    solveMs: round(solveMs, 3),
  };
  write(values.json ? JSON.stringify(output) + '\n' : summary(fleet, budgetW, result, output, economics !== undefined));
  return EXIT.ok;
}

function resolveBudgetW(flag: string | undefined, fleet: FleetFile): number {
  if (flag !== undefined) {
    const kwValue = Number(flag);
    if (!Number.isFinite(kwValue) || kwValue <= 0 || flag.trim() === '') {
      throw new CliError(`--budget-kw: expected a positive number of kW, got "${flag}"`, EXIT.usage);
    }
    return kwValue * 1000;
  }
  if (fleet.budgetW === undefined) throw new CliError('no budget: give --budget-kw or set budgetW in the fleet file', EXIT.usage);
  return fleet.budgetW;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

function summary(fleet: FleetFile, budgetW: number, r: PlanResult, o: PlanOutput, priced: boolean): string {
  const perProfile = new Map<string, number>();
  for (const name of r.assignments.values()) perProfile.set(name, (perProfile.get(name) ?? 0) + 1);
  const rows = [...perProfile.entries()].sort((a, b) => b[1] - a[1]);
  const shown = rows.slice(0, 12);
  const rest = rows.slice(12).reduce((s, [, n]) => s + n, 0);
  const gapPct = r.lpBoundThs > 0 ? ((r.lpBoundThs - r.hashrateThs) / r.lpBoundThs) * 100 : 0;
  const lines = [
    `wattbroker plan: ${fmt(fleet.miners.length)} miners, budget ${kw(budgetW)}`,
    `  power     ${kw(r.powerW)} (${fmt((r.powerW / budgetW) * 100, 1)} % of budget)`,
    `  hashrate  ${fmt(r.hashrateThs, 1)} TH/s at ${r.hashrateThs > 0 ? fmt(r.powerW / r.hashrateThs, 2) : '∞'} J/TH`,
    `  LP bound  ${fmt(r.lpBoundThs, 1)} TH/s (gap ${fmt(gapPct, 4)} %)`,
    ...(priced ? [`  price     ${fmt(r.stepsBelowBreakeven)} profile steps left out as unprofitable`] : []),
    `  solved in ${fmt(o.solveMs, 1)} ms`,
    'miners per profile:',
    ...shown.map(([name, n]) => `  ${fmt(n).padStart(7)}  ${name}`),
    ...(rest > 0 ? [`  ${fmt(rest).padStart(7)}  (${rows.length - 12} other profiles)`] : []),
  ];
  return lines.join('\n') + '\n';
}

import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ASIC_MODEL_KEYS, asicModel, generateFleet, plannerProfiles, type FleetMix } from '@wattbroker/core';
import type { FleetFile } from '@wattbroker/contracts';
import { CliError, EXIT } from './cli-error.js';

export const FLEET_USAGE = `usage: wattbroker fleet generate (--stock-mw N | --miners N) [--seed S] [--models a,b] [--budget-kw N] [--out FILE]

Write a reproducible fleet file from the hardware catalog (profiles + sleep per miner).
  --stock-mw N   fill N MW of stock (default-profile) power     --miners N   exact miner count
  --seed S       silicon-lottery seed (default 1)                --models     ${ASIC_MODEL_KEYS.join(',')}
  --budget-kw N  budgetW to write into the file                  --out FILE   instead of stdout`;

export async function fleetCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'generate') throw new CliError(FLEET_USAGE, EXIT.usage);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        'stock-mw': { type: 'string' }, miners: { type: 'string' }, seed: { type: 'string', default: '1' },
        models: { type: 'string' }, 'budget-kw': { type: 'string' }, out: { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${FLEET_USAGE}`, EXIT.usage);
  }
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || v.trim() === '') throw new CliError(`--${flag}: expected a number ≥ 0, got "${v}"`, EXIT.usage);
    return n;
  };
  const stockMw = num('stock-mw', values['stock-mw']);
  const miners = num('miners', values.miners);
  if ((stockMw === undefined) === (miners === undefined)) throw new CliError(`give exactly one of --stock-mw or --miners\n${FLEET_USAGE}`, EXIT.usage);
  let mix: FleetMix | undefined;
  if (values.models) {
    mix = {};
    for (const key of values.models.split(',')) {
      try {
        asicModel(key);
      } catch (e) {
        throw new CliError(`--models: ${(e as Error).message}`, EXIT.usage);
      }
      (mix as Record<string, number>)[key] = 1;
    }
  }
  const units = generateFleet({
    seed: num('seed', values.seed)!,
    ...(miners !== undefined ? { miners: Math.round(miners) } : { stockW: stockMw! * 1e6 }),
    ...(mix ? { mix } : {}),
  });
  const budgetKw = num('budget-kw', values['budget-kw']);
  const file: FleetFile = {
    ...(budgetKw !== undefined ? { budgetW: budgetKw * 1000 } : {}),
    miners: units.map((u) => ({ id: u.id, profiles: plannerProfiles(u) })),
  };
  // One miner per line: diffable, and still loads as ordinary JSON.
  const text = `{${file.budgetW !== undefined ? `"budgetW":${file.budgetW},` : ''}"miners":[\n` +
    file.miners.map((m) => JSON.stringify(m)).join(',\n') + '\n]}\n';
  if (values.out) await writeFile(values.out, text);
  else write(text);
  return EXIT.ok;
}

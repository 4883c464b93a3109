#!/usr/bin/env node
import { CliError, EXIT } from './cli-error.js';
import { FLEET_USAGE, fleetCommand } from './fleet-command.js';
import { METER_USAGE, meterCommand } from './meter-command.js';
import { MINER_USAGE, minerCommand } from './miner-command.js';
import { PLAN_USAGE, planCommand } from './plan-command.js';
import { TOKENS_USAGE, tokensCommand } from './tokens-command.js';

const USAGE = `usage: wattbroker <command> [options]

commands:
  plan     what-if: the profile every miner would run under a budget
  fleet    generate a fleet file from the hardware catalog
  miner    status, profiles, set-profile, sleep, wake on one LuxOS miner
  meter    read the site's power from a Modbus TCP meter at the point of connection
  tokens   make API tokens and the hashed entries the scheduler is configured with

${PLAN_USAGE}

${FLEET_USAGE}

${MINER_USAGE}

${METER_USAGE}

${TOKENS_USAGE}`;

type Command = (argv: string[], write: (s: string) => void) => Promise<number>;
const commands: Record<string, Command> = { plan: planCommand, fleet: fleetCommand, miner: minerCommand, meter: meterCommand, tokens: tokensCommand };

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands[name];
  if (!command) throw new CliError(`unknown command "${name}"\n${USAGE}`, EXIT.usage);
  return command(rest, (s) => process.stdout.write(s));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof CliError) {
      process.stderr.write(`wattbroker: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`wattbroker: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = EXIT.failure;
    }
  },
);

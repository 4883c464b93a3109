#!/usr/bin/env node
import { BACKTEST_USAGE, backtestCommand } from './backtest-command.js';
import { ACL_USAGE } from './acl-usage.js';
import { CliError, EXIT } from './cli-error.js';
import { FLEET_USAGE, fleetCommand } from './fleet-command.js';
import { METER_USAGE, meterCommand } from './meter-command.js';
import { MINER_USAGE, minerCommand } from './miner-command.js';
import { PLAN_USAGE, planCommand } from './plan-command.js';
import { TRACE_USAGE, traceCommand } from './trace-command.js';

const USAGE = `usage: wattbroker <command> [options]

commands:
  plan     what-if: the profile every miner would run under a budget
  fleet    generate a fleet file from the hardware catalog
  miner    status, profiles, set-profile, sleep, wake on one LuxOS miner
  meter    read the site's power from a Modbus TCP meter at the point of connection
  backtest replay a trace against the control core and two baselines; KPIs and an HTML report
  trace    generate a backtest trace (bursty inference day, 4CP afternoon, price spike)
  acl      generate Redis users and passwords: the scheduler and one per agent

${PLAN_USAGE}

${FLEET_USAGE}

${MINER_USAGE}

${METER_USAGE}

${BACKTEST_USAGE}

${TRACE_USAGE}

${ACL_USAGE}`;

type Command = (argv: string[], write: (s: string) => void) => Promise<number>;
const commands: Record<string, Command> = {
  plan: planCommand, fleet: fleetCommand, miner: minerCommand, meter: meterCommand, backtest: backtestCommand, trace: traceCommand,
  // Loaded on use: it brings the Redis client, which the other commands do not need.
  acl: async (argv, write) => (await import('./acl-command.js')).aclCommand(argv, write),
};

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

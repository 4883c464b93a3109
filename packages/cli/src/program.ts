import { Command } from 'commander';
import { contractCommands } from './commands/contract.js';
import { deviceCommands } from './commands/devices.js';
import { discoverCommand } from './commands/discover.js';
import { gridCommands } from './commands/grid.js';
import { jobCommands } from './commands/jobs.js';
import { priorityCommands } from './commands/priorities.js';
import { siteCommands } from './commands/site.js';
import { watchCommand } from './commands/watch.js';
import type { Write } from './commands/api-command.js';
import { fleetCommand } from './fleet-command.js';
import { meterCommand } from './meter-command.js';
import { minerCommand } from './miner-command.js';
import { backtestCommand } from './backtest-command.js';
import { traceCommand } from './trace-command.js';
import { tokensCommand } from './tokens-command.js';
import { planCommand } from './plan-command.js';

export const EXIT_CODES_HELP = `
Environment:
  WATTBROKER_URL    the scheduler's API (default http://127.0.0.1:8080)
  WATTBROKER_TOKEN  API token; prefer it to --token, which every user can read in ps

Exit codes:
  0  ok
  1  failure: scheduler or device unreachable, a 5xx answer, a scan cut short by --deadline
  2  bad usage: unknown command or flag, bad value (the flag is named)
  3  infeasible: a budget below the fleet's minimum (plan)
  4  a change was sent but not confirmed in time (miner)
  5  the API refused the request: bad field, unknown id, token or role (4xx; shown as one line)`;

type Legacy = (argv: string[], write: Write) => Promise<number>;

/**
 * The `wattbroker` command line. The API commands are commander's; the older device and
 * planning commands keep their own parsing (and `--help`), and are handed their arguments.
 */
export function buildProgram(write: Write, setExit: (code: number) => void): Command {
  const program = new Command('wattbroker')
    .description('operate a wattbroker site: its API (site, jobs, grid, priorities, devices, contract, watch), discovery, planning, one miner')
    .showHelpAfterError('(wattbroker --help lists every command)')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({ writeOut: write })
    // Thrown, not exited, from every command (set before they are added, which inherit it): main maps it to an exit code.
    .exitOverride();
  siteCommands(program, write);
  discoverCommand(program.commands.find((c) => c.name() === 'hosts')!, write);
  jobCommands(program, write);
  gridCommands(program, write);
  priorityCommands(program, write);
  deviceCommands(program, write);
  contractCommands(program, write);
  watchCommand(program, write);
  const legacy: Array<[string, string, Legacy]> = [
    ['plan', 'what-if: the profile every miner would run under a budget (plan --help)', planCommand],
    ['fleet', 'generate a fleet file from the hardware catalog (fleet --help)', fleetCommand],
    ['miner', 'status, profiles, set-profile, sleep, wake on one LuxOS miner (miner --help)', minerCommand],
    ['meter', 'read the site\'s power from a Modbus TCP meter (meter --help)', meterCommand],
    ['backtest', 'replay a trace against the control core and two baselines; KPIs and an HTML report (backtest --help)', backtestCommand],
    ['trace', 'generate a backtest trace: bursty inference day, 4CP afternoon, price spike (trace --help)', traceCommand],
    ['tokens', 'make API tokens and the hashed entries the scheduler is configured with (tokens --help)', tokensCommand],
    // Loaded on use: it brings the Redis client, which the other commands do not need.
    ['acl', 'generate Redis users and passwords: the scheduler and one per agent (acl --help)', async (argv, write) => (await import('./acl-command.js')).aclCommand(argv, write)],
  ];
  for (const [name, description, run] of legacy) {
    program.command(name).description(description).helpOption(false).allowUnknownOption().allowExcessArguments()
      .argument('[args...]').action(async (args: string[]) => setExit(await run(args, write)));
  }
  // Every command, nested ones included, lists in `wattbroker --help`.
  program.addHelpText('after', () => `\nAll commands:\n${allCommands(program).map((c) => `  ${c}`).join('\n')}`);
  return program;
}

function allCommands(cmd: Command, prefix = ''): string[] {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    const args = c.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}${a.variadic ? '...' : ''}]`)).join(' ');
    return c.commands.length ? allCommands(c, `${name} `) : [`${name}${args ? ` ${args}` : ''}`];
  });
}

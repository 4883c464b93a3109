#!/usr/bin/env node
import { CommanderError } from 'commander';
import { CliError, EXIT } from './cli-error.js';
import { buildProgram } from './program.js';

const write = (s: string) => void process.stdout.write(s);
// Output piped into `head` and closed early: stop quietly, as other command-line tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const program = buildProgram(write, (code) => {
  process.exitCode = code;
});

program.parseAsync(process.argv).then(
  () => undefined,
  (e: unknown) => {
    if (e instanceof CommanderError) {
      // Commander's own errors (unknown command or flag, missing value; it printed them) are usage errors.
      process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    } else if (e instanceof CliError) {
      process.stderr.write(`wattbroker: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`wattbroker: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = EXIT.failure;
    }
  },
);

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LUXOS_PORT } from '@wattbroker/drivers';
import { CliError, EXIT } from '../cli-error.js';
import { parseDuration, parseNumber } from '../api/duration.js';
import { addresses, parsePorts } from '../discover/cidr.js';
import { discoverMiners, hostFiles } from '../discover/discover.js';
import { print, table, type Write } from './api-command.js';

export function discoverCommand(hosts: Command, write: Write): void {
  hosts.command('discover').description('find LuxOS miners on a network (their `version` command) and write agent host files')
    .requiredOption('--cidr <block>', 'IPv4 block to scan, e.g. 10.0.0.0/24 (at most a /16); repeat for more', (v: string, prev: string[] = []) => [...prev, v])
    .option('--ports <list>', 'ports or ranges, e.g. 4028 or 4028,14001-14040', String(LUXOS_PORT))
    .option('--per-host <n>', 'miners per agent host file', '200')
    .option('--host-prefix <name>', 'host ids are PREFIX-1, PREFIX-2, …', 'asic')
    .option('--out <dir>', 'write PREFIX-N.json there (without it: print the miners found)')
    .option('--concurrency <n>', 'probes open at once', '64')
    .option('--timeout <d>', 'per probe', '1500ms')
    .option('--deadline <d>', 'the whole scan stops after this', '5m')
    .option('--json', 'machine-readable JSON output')
    .action(async (opts: Record<string, any>) => {
      let targets: Array<{ host: string; port: number }>;
      try {
        const ports = parsePorts(opts.ports);
        targets = (opts.cidr as string[]).flatMap((c) => addresses(c)).flatMap((host) => ports.map((port) => ({ host, port })));
      } catch (e) {
        throw new CliError(`${/port/.test((e as Error).message) ? '--ports' : '--cidr'}: ${(e as Error).message}`, EXIT.usage);
      }
      const perHost = parseNumber(opts.perHost, '--per-host', { integer: true, min: 1 });
      const concurrency = Math.min(1024, parseNumber(opts.concurrency, '--concurrency', { integer: true, min: 1 }));
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(opts.hostPrefix)) throw new CliError(`--host-prefix: letters, digits and . _ - only, got "${opts.hostPrefix}"`, EXIT.usage);
      const result = await discoverMiners(targets, { concurrency, timeoutMs: parseDuration(opts.timeout, '--timeout'), deadlineMs: parseDuration(opts.deadline, '--deadline') });
      const files = hostFiles(result.found, perHost, opts.hostPrefix);
      const written: string[] = [];
      if (opts.out) {
        await mkdir(opts.out, { recursive: true });
        for (const f of files) {
          const path = join(opts.out, `${f.hostId}.json`);
          await writeFile(path, `${JSON.stringify(f, null, 2)}\n`);
          written.push(path);
        }
      }
      const summary = { probed: result.probed, skipped: result.skipped, elapsedMs: result.elapsedMs, found: result.found, files: written };
      print(write, opts.json === true, summary, () => [
        result.found.length ? table(['address', 'model', 'firmware', 'hostname', 'serial'], result.found.map((m) => [`${m.host}:${m.port}`, m.model, m.firmware, m.hostname, m.serial])) : 'no LuxOS miner answered',
        `${result.found.length} miners from ${result.probed} probes in ${(result.elapsedMs / 1000).toFixed(1)} s${result.skipped ? `; ${result.skipped} not probed (--deadline reached)` : ''}`,
        ...written.map((p) => `wrote ${p}`),
      ].join('\n'));
      if (result.skipped > 0) process.exitCode = EXIT.failure;
    });
}

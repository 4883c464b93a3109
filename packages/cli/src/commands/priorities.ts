import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { PriorityClass } from '@wattbroker/contracts';
import { CliError, EXIT } from '../cli-error.js';
import { apiCommand, clientOf, print, table, type Write } from './api-command.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const show = (list: PriorityClass[]) => table(['#', 'class', 'kind', 'min kW', 'max kW', 'miners'],
  list.map((c, i) => [i + 1, c.name, c.kind, c.minKw ?? '', c.maxKw ?? '', c.miners?.length ?? '']));

export function priorityCommands(program: Command, write: Write): void {
  const p = program.command('priorities').description('the priority list: get it, or set it from a file');
  apiCommand(p, 'get', 'the priority list, highest first (GET /v1/priorities)')
    .action(async (_o, cmd: Command) => {
      const { api, json } = clientOf(cmd);
      const list = await api.call<PriorityClass[]>('GET', '/v1/priorities');
      print(write, json, list, () => show(list));
    });
  apiCommand(p, 'set <file>', 'replace the priority list with FILE\'s JSON array (- for stdin) (PUT /v1/priorities)')
    .action(async (file: string, _o, cmd: Command) => {
      const { api, json } = clientOf(cmd);
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (e) {
        throw new CliError(`${file}: ${(e as Error).message}`, EXIT.usage);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new CliError(`${file}: not JSON (${(e as Error).message})`, EXIT.usage);
      }
      const list = await api.call<PriorityClass[]>('PUT', '/v1/priorities', body);
      print(write, json, list, () => show(list));
    });
}

import type { Command } from 'commander';
import { parseNumber } from '../api/duration.js';
import { apiCommand, clientOf, print, type Write } from './api-command.js';

export function contractCommands(program: Command, write: Write): void {
  const contract = program.command('contract').description('the site\'s power contract');
  apiCommand(contract, 'set', 'change the contract cap and margin (PUT /v1/site/contract)')
    .requiredOption('--cap-kw <kw>', 'contract cap')
    .option('--margin-kw <kw>', 'safety margin kept below every cap')
    .action(async (_o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      const body = { capKw: parseNumber(opts.capKw, '--cap-kw'), ...(opts.marginKw !== undefined ? { marginKw: parseNumber(opts.marginKw, '--margin-kw') } : {}) };
      const c = await api.call<{ capKw: number; marginKw: number }>('PUT', '/v1/site/contract', body);
      print(write, json, c, () => `contract: cap ${c.capKw} kW, margin ${c.marginKw} kW`);
    });
}

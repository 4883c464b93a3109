import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ComplianceReport, GridEventView } from '@wattbroker/contracts';
import { CliError, EXIT } from '../cli-error.js';
import { parseDuration, parseNumber } from '../api/duration.js';
import { allPages, apiCommand, clientOf, print, table, type Write } from './api-command.js';

function when(at: string, flag: string): number {
  const t = Date.parse(at);
  if (!Number.isFinite(t)) throw new CliError(`${flag}: expected an ISO time such as 2026-07-01T15:00:00Z, got "${at}"`, EXIT.usage);
  return t;
}

export function gridCommands(program: Command, write: Write): void {
  const grid = program.command('grid').description('grid events: list, add, delete, compliance report');
  apiCommand(grid, 'events', 'grid events by start time (GET /v1/grid/events)')
    .option('--when <w>', 'upcoming, active or past')
    .action(async (_o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      const list = await allPages<GridEventView>(api, `/v1/grid/events${opts.when ? `?when=${encodeURIComponent(opts.when)}` : ''}`);
      print(write, json, list, () => list.length === 0 ? 'no grid events' : table(['id', 'cap kW', 'shed kW', 'starts', 'ends', 'source'],
        list.map((e) => [e.id, e.capKw, e.shedKw ?? '', e.startsAt, e.endsAt, e.source])));
    });
  apiCommand(grid, 'add', 'add a grid event: a cap, or a shed from the baseline (POST /v1/grid/events)')
    .option('--cap-kw <kw>', 'cap the site at this')
    .option('--shed-kw <kw>', 'or shed this much from the baseline')
    .option('--starts-in <d>', 'start after this long, e.g. 60s (default: now)')
    .option('--starts-at <iso>', 'or start at this time')
    .option('--for <d>', 'last this long, e.g. 10m')
    .option('--ends-at <iso>', 'or end at this time')
    .option('--ramp-minutes <m>', 'step down over this long before the start')
    .option('--program <name>', 'program name (for reports)')
    .option('--optional', 'not mandatory')
    .action(async (_o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      if ((opts.capKw === undefined) === (opts.shedKw === undefined)) throw new CliError('give exactly one of --cap-kw or --shed-kw', EXIT.usage);
      if (opts.startsIn !== undefined && opts.startsAt !== undefined) throw new CliError('give --starts-in or --starts-at, not both', EXIT.usage);
      if ((opts.for === undefined) === (opts.endsAt === undefined)) throw new CliError('give exactly one of --for or --ends-at', EXIT.usage);
      const startsAt = opts.startsAt !== undefined ? when(opts.startsAt, '--starts-at') : Date.now() + (opts.startsIn !== undefined ? parseDuration(opts.startsIn, '--starts-in') : 0);
      const endsAt = opts.endsAt !== undefined ? when(opts.endsAt, '--ends-at') : startsAt + parseDuration(opts.for, '--for');
      const body = {
        ...(opts.capKw !== undefined ? { capKw: parseNumber(opts.capKw, '--cap-kw') } : { shedKw: parseNumber(opts.shedKw, '--shed-kw') }),
        startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(),
        ...(opts.rampMinutes !== undefined ? { rampMinutes: parseNumber(opts.rampMinutes, '--ramp-minutes') } : {}),
        ...(opts.program !== undefined ? { program: opts.program } : {}),
        ...(opts.optional ? { mandatory: false } : {}),
      };
      const e = await api.call<GridEventView>('POST', '/v1/grid/events', body);
      print(write, json, e, () => `grid event ${e.id}: cap ${e.capKw} kW from ${e.startsAt} to ${e.endsAt}`);
    });
  apiCommand(grid, 'delete <id>', 'delete a grid event (DELETE /v1/grid/events/ID)')
    .action(async (id: string, _o, cmd: Command) => {
      const { api, json } = clientOf(cmd);
      await api.call('DELETE', `/v1/grid/events/${encodeURIComponent(id)}`);
      print(write, json, { deleted: id }, () => `grid event ${id} deleted`);
    });
  apiCommand(grid, 'report <id>', 'compliance report of an event (GET /v1/grid/events/ID/report)')
    .option('--csv', 'the CSV report (1 s, 1 min, 15 min series)')
    .option('--out <file>', 'write it to FILE instead of stdout')
    .option('--baseline <method>', 'mean-60m, mean-15m or last-15m-interval')
    .action(async (id: string, _o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      const path = `/v1/grid/events/${encodeURIComponent(id)}/report${opts.baseline ? `?baseline=${encodeURIComponent(opts.baseline)}` : ''}`;
      if (opts.csv) {
        const csv = await api.call<string>('GET', path, undefined, 'text/csv');
        if (opts.out) await writeFile(opts.out, csv);
        else write(csv.endsWith('\n') ? csv : `${csv}\n`);
        return;
      }
      const r = await api.call<ComplianceReport>('GET', path);
      if (opts.out) return writeFile(opts.out, JSON.stringify(r, null, 2));
      print(write, json, r, () => `event ${r.eventId}: requested ${r.requestedKw} kW; mean ${r.meanKw ?? '–'} kW; ${r.secondsAbove} s above; ` +
        `time to comply ${r.timeToComplianceS ?? '–'} s; ${r.complete ? 'complete' : 'in progress'} (${r.samples} samples)`);
    });
}

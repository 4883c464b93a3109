import type { Command } from 'commander';
import type { GridEventView, JobView, SiteView } from '@wattbroker/contracts';
import { parseDuration, parseNumber } from '../api/duration.js';
import { apiCommand, clientOf, type Write } from './api-command.js';
import { statusLine } from './site.js';

/**
 * A live terminal view: the status line, the grid events in effect or coming, and the latest
 * jobs, redrawn every interval (on a terminal; otherwise one block per interval, for logs).
 * `--json` prints one JSON object per line instead.
 */
export function watchCommand(program: Command, write: Write): void {
  apiCommand(program, 'watch', 'live view: the status line, grid events and the latest jobs (Ctrl-C to stop)')
    .option('--interval <d>', 'refresh period', '1s')
    .option('--count <n>', 'stop after N refreshes')
    .action(async (_o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      const everyMs = parseDuration(opts.interval, '--interval');
      const count = opts.count !== undefined ? parseNumber(opts.count, '--count', { integer: true, min: 1 }) : Infinity;
      const tty = process.stdout.isTTY && !json;
      for (let i = 0; i < count; i++) {
        const started = Date.now();
        const [site, events, jobs] = await Promise.all([
          api.call<SiteView>('GET', '/v1/site'),
          api.call<GridEventView[]>('GET', '/v1/grid/events?when=active').then(async (a) => [...a, ...(await api.call<GridEventView[]>('GET', '/v1/grid/events?when=upcoming&limit=5'))]),
          api.call<JobView[]>('GET', '/v1/jobs?limit=5'),
        ]);
        if (json) {
          write(`${JSON.stringify({ at: new Date().toISOString(), site, gridEvents: events, jobs })}\n`);
        } else {
          const lines = [
            `${new Date().toISOString().slice(11, 19)} ${statusLine(site)}`,
            ...(events.length ? events.map((e) => `  grid ${e.id}: cap ${e.capKw} kW ${e.startsAt} → ${e.endsAt} (${e.source})`) : ['  no grid event active or upcoming']),
            ...jobs.map((j) => `  job ${j.id} ${j.state} ${j.class} ${j.gpus} GPU${j.gpus > 1 ? 's' : ''}${j.waitReason ? ` — ${j.waitReason}` : ''}`),
          ];
          write(tty ? `\u001b[H\u001b[2J${lines.join('\n')}\n` : `${lines.join('\n')}\n\n`);
        }
        if (i + 1 < count) await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - started))));
      }
    });
}

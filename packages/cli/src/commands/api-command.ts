import { Command } from 'commander';
import { ApiClient, type ApiOptions } from '../api/client.js';

/**
 * A command that talks to the scheduler's API: `--url`, `--token` and `--json` on every one.
 * The token is best given as WATTBROKER_TOKEN: a flag is visible to every user in `ps`.
 */
export function apiCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return parent.command(nameAndArgs).description(description)
    .option('--url <url>', 'scheduler API (default: $WATTBROKER_URL, else http://127.0.0.1:8080)')
    .option('--token <token>', 'API token (prefer $WATTBROKER_TOKEN: flags show in ps)')
    .option('--json', 'machine-readable JSON output');
}

/** The client and options of an action (its last argument is the command itself). */
export function clientOf(cmd: Command): { api: ApiClient; json: boolean; opts: Record<string, any> } {
  const opts = cmd.opts<ApiOptions & Record<string, any>>();
  return { api: new ApiClient(opts), json: opts.json === true, opts };
}

export type Write = (s: string) => void;

/** JSON as-is, or the human rendering. */
export function print(write: Write, json: boolean, value: unknown, human: () => string): void {
  write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** A plain text table, columns padded to their widest cell. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Every page of a paged list (`limit`, `X-Next-Cursor`), or up to `max` items. */
export async function allPages<T>(api: ApiClient, path: string, max = Infinity): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const res = await api.raw(`${path}${sep}limit=${Math.min(1000, max - out.length)}${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...(res.body as T[]));
    cursor = res.next;
  } while (cursor && out.length < max);
  return out;
}

import { parseArgs } from 'node:util';
import { LUXOS_PORT, LuxosClient, LuxosError, type ChangeResult, type Telemetry } from '@wattbroker/drivers';
import { CliError, EXIT } from './cli-error.js';
import { fmt } from './format.js';

export const MINER_USAGE = `usage: wattbroker miner HOST[:PORT] <status|profiles|set-profile NAME|sleep|wake> [--json] [--timeout S] [--unsafe]

Talk to one LuxOS miner (TCP ${LUXOS_PORT} by default).
  status             model, profile, power, hashrate, ramping, sleeping
  profiles           the miner's profile table
  set-profile NAME   run NAME (ATM is switched off so it stays); waits for confirmation
  sleep | wake       curtail to sleep / wake up (--unsafe: one-step power-up); wait for confirmation
  --timeout S        how long to wait for confirmation (default 60)
  --json             machine-readable output
Exit codes: 0 ok, 1 miner unreachable or refused, 2 bad usage, 4 change not confirmed in time.`;

const statusJson = (t: Telemetry) => ({
  model: t.model, profile: t.profile, powerW: t.powerW, hashrateThs: Math.round(t.hashrateThs * 1000) / 1000,
  ramping: t.ramping, sleeping: t.sleeping,
});

const describeState = (t: Telemetry) =>
  `profile ${t.profile}, ${fmt(t.powerW)} W, ${fmt(t.hashrateThs, 1)} TH/s, ${t.sleeping ? 'asleep' : t.ramping ? 'ramping' : 'mining'}`;

export function parseAddress(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  const port = m?.[2] === undefined ? LUXOS_PORT : Number(m[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CliError(`bad miner address "${text}": expected HOST or HOST:PORT`, EXIT.usage);
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export async function minerCommand(argv: string[], write: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false }, timeout: { type: 'string', default: '60' },
        unsafe: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${MINER_USAGE}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    write(MINER_USAGE + '\n');
    return EXIT.ok;
  }
  const [address, action, arg, ...extra] = positionals;
  if (!address || !action) throw new CliError(`miner address and action are required\n${MINER_USAGE}`, EXIT.usage);
  const known = ['status', 'profiles', 'set-profile', 'sleep', 'wake'];
  if (!known.includes(action)) throw new CliError(`unknown action "${action}" (one of ${known.join(', ')})`, EXIT.usage);
  if (action === 'set-profile' && !arg) throw new CliError('set-profile needs a profile NAME', EXIT.usage);
  if ((action !== 'set-profile' && arg !== undefined) || extra.length > 0) {
    throw new CliError(`unexpected argument "${action === 'set-profile' ? extra[0] : arg}"`, EXIT.usage);
  }
  const timeoutS = Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new CliError(`--timeout: expected seconds > 0, got "${values.timeout}"`, EXIT.usage);
  const { host, port } = parseAddress(address);
  const client = new LuxosClient(host, port);
  try {
    return await run(client, action, arg, { json: values.json, deadlineMs: timeoutS * 1000, unsafe: values.unsafe }, write);
  } catch (e) {
    if (e instanceof LuxosError) throw new CliError(e.message, EXIT.failure);
    throw e;
  }
}

async function run(
  client: LuxosClient, action: string, arg: string | undefined,
  o: { json: boolean; deadlineMs: number; unsafe: boolean }, write: (s: string) => void,
): Promise<number> {
  switch (action) {
    case 'status': {
      const t = await client.telemetry();
      write(o.json ? JSON.stringify(statusJson(t)) + '\n' : `${t.model} at ${client.address}: ${describeState(t)}\n`);
      return EXIT.ok;
    }
    case 'profiles': {
      const rows = await client.profiles();
      if (o.json) {
        write(JSON.stringify(rows.map(({ name, frequencyMHz, voltageV, powerW, hashrateThs }) => ({ name, frequencyMHz, voltageV, powerW, hashrateThs }))) + '\n');
      } else {
        const lines = rows.map((r) => `${r.name.padEnd(8)} ${String(r.frequencyMHz).padStart(4)} MHz  ${r.voltageV.toFixed(2)} V  ${fmt(r.powerW).padStart(5)} W  ${r.hashrateThs.toFixed(1).padStart(6)} TH/s  ${(r.powerW / r.hashrateThs).toFixed(1)} J/TH`);
        write(`${rows.length} profiles on ${client.address}:\n${lines.join('\n')}\n`);
      }
      return EXIT.ok;
    }
    default: {
      const what = action === 'set-profile' ? `profile ${arg}` : action === 'sleep' ? 'sleep' : `wake${o.unsafe ? ' (unsafe)' : ''}`;
      const r: ChangeResult = action === 'set-profile'
        ? await client.setProfile(arg!, { deadlineMs: o.deadlineMs })
        : action === 'sleep' ? await client.sleep({ deadlineMs: o.deadlineMs }) : await client.wake({ deadlineMs: o.deadlineMs, unsafe: o.unsafe });
      if (o.json) write(JSON.stringify({ confirmed: r.confirmed, elapsedMs: r.elapsedMs, observed: statusJson(r.observed) }) + '\n');
      else {
        const secs = (r.elapsedMs / 1000).toFixed(1);
        write(r.confirmed
          ? `${what}: confirmed in ${secs} s (${describeState(r.observed)})\n`
          : `${what}: NOT confirmed after ${secs} s; the miner reports ${describeState(r.observed)}\n`);
      }
      return r.confirmed ? EXIT.ok : EXIT.unconfirmed;
    }
  }
}

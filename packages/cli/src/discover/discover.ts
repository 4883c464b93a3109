import { LuxosClient } from '@wattbroker/drivers';
import { HostConfigSchema, type HostConfig } from '@wattbroker/contracts';

export interface FoundMiner {
  host: string;
  port: number;
  model: string;
  firmware: string;
  serial: string;
  hostname: string;
  mac: string;
}

export interface DiscoverOptions {
  /** Probes in flight at once. */
  concurrency: number;
  /** Per probe: connect and answer within this. */
  timeoutMs: number;
  /** The whole scan stops at this (probes not started are skipped and counted). */
  deadlineMs: number;
}

export interface DiscoverResult {
  found: FoundMiner[];
  probed: number;
  skipped: number;
  elapsedMs: number;
}

/**
 * Find LuxOS miners: ask every address:port for `version` (with `config`, for model, serial
 * and hostname) in one request, no retry. At most `concurrency` probes are open at once and
 * the scan ends by `deadlineMs`, so a /16 neither floods the LAN nor runs for ever. Anything
 * that does not answer as LuxOS (refused, silent, another protocol) is simply not a miner.
 */
export async function discoverMiners(targets: Array<{ host: string; port: number }>, o: DiscoverOptions): Promise<DiscoverResult> {
  const started = Date.now();
  const found: FoundMiner[] = [];
  let next = 0;
  let probed = 0;
  const worker = async () => {
    while (next < targets.length && Date.now() - started < o.deadlineMs) {
      const t = targets[next++]!;
      probed++;
      const left = o.deadlineMs - (Date.now() - started);
      const client = new LuxosClient(t.host, t.port, { timeoutMs: Math.max(50, Math.min(o.timeoutMs, left)), retries: 0 });
      try {
        const id = await client.identity();
        found.push({ host: t.host, port: t.port, ...id });
      } catch {
        // not a LuxOS miner, or not there
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, targets.length) }, worker));
  found.sort((a, b) => ipOrder(a.host) - ipOrder(b.host) || a.port - b.port);
  return { found, probed, skipped: targets.length - probed, elapsedMs: Date.now() - started };
}

const ipOrder = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/**
 * Host files (the agent's `--config` format) of `perHost` miners each, named
 * `<prefix>-1`, `<prefix>-2`, …; a miner's id is its hostname when that is a valid, unique id,
 * else its address (`10-0-0-17` or `10-0-0-17-4029` off the standard port).
 */
export function hostFiles(found: readonly FoundMiner[], perHost: number, prefix: string, standardPort = 4028): HostConfig[] {
  const byName = new Map<string, number>();
  for (const m of found) byName.set(m.hostname, (byName.get(m.hostname) ?? 0) + 1);
  const idOf = (m: FoundMiner) => /^[A-Za-z0-9._-]{1,128}$/.test(m.hostname) && byName.get(m.hostname) === 1
    ? m.hostname
    : `${m.host.replace(/\./g, '-')}${m.port === standardPort ? '' : `-${m.port}`}`;
  const files: HostConfig[] = [];
  for (let i = 0; i < found.length; i += perHost) {
    files.push(HostConfigSchema.parse({
      hostId: `${prefix}-${files.length + 1}`, kind: 'asic',
      miners: found.slice(i, i + perHost).map((m) => ({ id: idOf(m), driver: 'luxos', host: m.host, port: m.port })),
    }));
  }
  return files;
}

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostConfigSchema } from '@wattbroker/contracts';
import { freePort, startReplayServer } from '@wattbroker/testkit';
import { addresses, parsePorts } from '../src/discover/cidr.js';
import { discoverMiners, hostFiles } from '../src/discover/discover.js';

describe('CIDR blocks and port lists', () => {
  it('lists the host addresses of a block, and refuses what is not one or is too large', () => {
    expect(addresses('127.0.0.1/32')).toEqual(['127.0.0.1']);
    expect(addresses('10.0.0.77/24')).toHaveLength(254);
    expect(addresses('10.0.0.0/24')[0]).toBe('10.0.0.1');
    expect(addresses('10.0.0.0/24').at(-1)).toBe('10.0.0.254');
    expect(addresses('10.1.0.0/31')).toEqual(['10.1.0.0', '10.1.0.1']);
    expect(addresses('172.16.0.0/16')).toHaveLength(65_534);
    expect(() => addresses('10.0.0.0/15')).toThrow(/at most a \/16/);
    expect(() => addresses('10.0.0.256/24')).toThrow(/not an IPv4 CIDR/);
    expect(() => addresses('miners.lan')).toThrow(/not an IPv4 CIDR/);
    expect(parsePorts('4028,14001-14003')).toEqual([4028, 14001, 14002, 14003]);
    expect(() => parsePorts('4030-4028')).toThrow(/not a port or range/);
  });
});

/**
 * Discovery against a recorded real miner (LuxOS replies replayed over TCP) and a "black hole"
 * that accepts connections and never answers: the miner is found, the scan keeps to its
 * concurrency, and it ends at its deadline however many probes are left.
 */
describe('discoverMiners', () => {
  let replay: Awaited<ReturnType<typeof startReplayServer>>;
  let hole: Server;
  let holePort: number;
  const open = new Set<Socket>();
  let maxOpen = 0;

  beforeAll(async () => {
    replay = await startReplayServer(new URL('../../../test/fixtures/luxos/', import.meta.url));
    holePort = await freePort();
    hole = createServer((s) => {
      open.add(s);
      maxOpen = Math.max(maxOpen, open.size);
      s.resume(); // read (and drop) the request, so that the client's close is seen at once
      s.on('close', () => open.delete(s));
      s.on('error', () => open.delete(s));
    });
    await new Promise<void>((resolve) => hole.listen(holePort, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const s of open) s.destroy();
    await new Promise((r) => hole.close(r));
    await replay.close();
  });

  it('finds the miner by its version and config, and writes valid host files', async () => {
    const closed = await freePort();
    const r = await discoverMiners([{ host: '127.0.0.1', port: closed }, { host: '127.0.0.1', port: replay.port }], { concurrency: 2, timeoutMs: 1000, deadlineMs: 10_000 });
    expect(r.found).toHaveLength(1);
    expect(r.found[0]).toMatchObject({ host: '127.0.0.1', port: replay.port, model: 'Antminer S19k Pro' });
    expect(r.found[0]!.firmware).not.toBe('');
    const files = hostFiles([...r.found, { ...r.found[0]!, port: replay.port + 1 }], 1, 'rack');
    expect(files.map((f) => f.hostId)).toEqual(['rack-1', 'rack-2']);
    for (const f of files) expect(HostConfigSchema.safeParse(f).success).toBe(true);
    // Two miners with one hostname: ids fall back to their addresses, which stay unique.
    const ids = files.flatMap((f) => (f.kind === 'asic' ? f.miners.map((m) => m.id) : []));
    expect(new Set(ids).size).toBe(2);
  });

  it('keeps to its concurrency and ends at its deadline', async () => {
    maxOpen = 0;
    const targets = Array.from({ length: 60 }, () => ({ host: '127.0.0.1', port: holePort }));
    const started = Date.now();
    const r = await discoverMiners(targets, { concurrency: 5, timeoutMs: 400, deadlineMs: 1000 });
    const elapsed = Date.now() - started;
    expect(r.found).toEqual([]);
    // Unbounded, all 60 would be open at once. The server may see a worker's next connection
    // before the close of its previous one (both arrive in one poll), so up to 2 × 5.
    expect(maxOpen).toBeLessThanOrEqual(10);
    expect(maxOpen).toBeGreaterThanOrEqual(5);
    // 60 silent probes at 5 × 400 ms would take 4.8 s; the deadline ends it after ~1 s.
    expect(r.skipped).toBeGreaterThan(20);
    expect(r.probed + r.skipped).toBe(60);
    expect(elapsed).toBeLessThan(3000);
  });
});

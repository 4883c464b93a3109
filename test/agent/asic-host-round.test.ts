import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsicHost } from '@wattbroker/agent';
import type { HostConfig } from '@wattbroker/contracts';
import { startSim } from '../src/sim.js';
import type { SimSite } from '@wattbroker/miner-sim';

/**
 * A telemetry round of an ASIC host with one miner that accepts connections and never
 * answers (a hung LuxOS), beside three emulated miners over TCP: the round publishes the
 * three at its deadline instead of waiting out the driver's time-outs, reports the hung one
 * unreachable, and never reads it twice at once.
 */
describe('ASIC host telemetry round (services/agent asic-host.ts)', () => {
  let site: SimSite;
  let hung: Server;
  const sockets: Socket[] = [];
  let accepted = 0;

  beforeAll(async () => {
    site = await startSim({ miners: 3, models: ['s19kpro'], speed: 50, seed: 4 });
    hung = createServer((s) => {
      accepted++;
      sockets.push(s);
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  }, 30_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => hung.close(resolve));
    await site?.stop();
  });

  it('publishes the miners that answered by its deadline, reports the hung one unreachable, and reads it once at a time', async () => {
    const config: Extract<HostConfig, { kind: 'asic' }> = {
      hostId: 'rack-h', kind: 'asic', concurrency: 4, hostOverheadW: 0, fastWake: true,
      miners: [
        ...site.miners.map((m, i) => ({ id: `m${i}`, driver: 'luxos' as const, host: '127.0.0.1', port: m.port })),
        { id: 'hung', driver: 'luxos' as const, host: '127.0.0.1', port: (hung.address() as { port: number }).port },
      ],
    };
    const host = new AsicHost(config, { roundDeadlineMs: 1000 });
    const t0 = performance.now();
    const first = await host.read();
    const firstMs = performance.now() - t0;
    // The driver gives a silent miner 3 s per attempt: the round did not wait for it (it
    // is left out or, its read in flight for the whole round, reported unreachable).
    expect(firstMs).toBeLessThan(2800);
    expect(first.filter((r) => r.reachable).map((r) => r.id)).toEqual(['m0', 'm1', 'm2']);
    for (const r of first.filter((x) => x.reachable)) expect(r.profile).toBeTypeOf('string');
    expect(first.find((r) => r.id === 'hung')?.reachable ?? false).toBe(false);
    // The next rounds come while that read of the hung miner is still in flight: they do
    // not start another one (each would open a connection), and report it unreachable.
    for (let k = 0; k < 3; k++) {
      const next = await host.read();
      expect(next.find((r) => r.id === 'hung')?.reachable).toBe(false);
      expect(next.filter((r) => r.reachable).map((r) => r.id)).toEqual(['m0', 'm1', 'm2']);
    }
    expect(accepted).toBeLessThanOrEqual(2);
  }, 30_000);

  it('reports the miners it cannot read unreachable when a hung read holds every connection slot', async () => {
    const config: Extract<HostConfig, { kind: 'asic' }> = {
      hostId: 'rack-c', kind: 'asic', concurrency: 1, hostOverheadW: 0, fastWake: true,
      miners: [
        { id: 'hung', driver: 'luxos' as const, host: '127.0.0.1', port: (hung.address() as { port: number }).port },
        ...site.miners.map((m, i) => ({ id: `m${i}`, driver: 'luxos' as const, host: '127.0.0.1', port: m.port })),
      ],
    };
    const host = new AsicHost(config, { roundDeadlineMs: 400 });
    // The hung miner's read takes the one slot for the driver's time-outs (seconds): the
    // others cannot be read. They are not trusted at their last reading (there is none
    // here): within two deadlines every one of them is reported unreachable.
    const rounds: Array<Array<[string, boolean]>> = [];
    for (let k = 0; k < 3; k++) rounds.push((await host.read()).map((r) => [r.id, r.reachable]));
    expect(rounds[2]!.sort()).toEqual([['hung', false], ['m0', false], ['m1', false], ['m2', false]]);
  }, 30_000);

  it('goes round the miners when rounds are cut short, so that every miner is read in turn', async () => {
    // Slow but healthy miners (each reply 200 ms late), one connection at a time, and a
    // deadline that leaves room for about two reads a round.
    for (let i = 0; i < 3; i++) await site.setFaults(i, { slowMs: 200 });
    try {
      const config: Extract<HostConfig, { kind: 'asic' }> = {
        hostId: 'rack-s', kind: 'asic', concurrency: 1, hostOverheadW: 0, fastWake: true,
        miners: site.miners.map((m, i) => ({ id: `m${i}`, driver: 'luxos' as const, host: '127.0.0.1', port: m.port })),
      };
      const host = new AsicHost(config, { roundDeadlineMs: 500 });
      const seen = new Map<string, number>();
      for (let k = 0; k < 6; k++) {
        const round = await host.read();
        expect(round.filter((r) => r.reachable).length).toBeLessThan(3);
        // (One not read for two deadlines may be reported unreachable meanwhile: this host is
        // too slow for its deadline, and its readings get old.)
        for (const r of round) if (r.reachable) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
      }
      expect([...seen.keys()].sort()).toEqual(['m0', 'm1', 'm2']);
    } finally {
      for (let i = 0; i < 3; i++) await site.setFaults(i, { slowMs: 0 });
    }
  }, 30_000);
});

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
    // The driver gives a silent miner 3 s per attempt: the round did not wait for it.
    expect(firstMs).toBeLessThan(2800);
    expect(first.map((r) => [r.id, r.reachable])).toEqual([['m0', true], ['m1', true], ['m2', true], ['hung', false]]);
    for (const r of first.slice(0, 3)) expect(r.profile).toBeTypeOf('string');
    // The next rounds come while the first read of the hung miner is still in flight: they
    // do not start another one (each would open a connection), and still report it.
    for (let k = 0; k < 3; k++) {
      const next = await host.read();
      expect(next.find((r) => r.id === 'hung')?.reachable).toBe(false);
      expect(next.filter((r) => r.reachable).map((r) => r.id)).toEqual(['m0', 'm1', 'm2']);
    }
    expect(accepted).toBeLessThanOrEqual(2);
  }, 30_000);
});

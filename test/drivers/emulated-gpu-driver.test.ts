import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatedGpuDriver, EmulatedGpuError } from '@wattbroker/drivers';
import { freePort, waitFor } from '@wattbroker/testkit';
import { startSimWithHttp, type SimWithHttp } from '../src/sim.js';

/**
 * The emulated-GPU driver against the site emulator's GPU API over real HTTP. Physics run
 * 20× faster than life: a new limit is enforced after 50 ms, load changes every 25 ms.
 */
describe('EmulatedGpuDriver against the site emulator', () => {
  let sim: SimWithHttp;
  const driver = (hostId = 'gpu-1', timeoutMs?: number) => new EmulatedGpuDriver({ url: sim.url, hostId, ...(timeoutMs ? { timeoutMs } : {}) });
  const refusal = async (p: Promise<unknown>) => {
    const e = await p.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(EmulatedGpuError);
    return e as EmulatedGpuError;
  };

  beforeAll(async () => {
    sim = await startSimWithHttp({ miners: 1, speed: 20, seed: 4, gpuHosts: [{ id: 'gpu-1', gpus: 2, model: 'h100', overheadW: 400 }] });
  });
  afterAll(() => sim.stop());

  it('reads every GPU of its host as nvidia-smi would', async () => {
    expect(await driver().read()).toEqual([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', powerW: 64, powerLimitW: 700, minLimitW: 200, maxLimitW: 700, utilizationPct: 0 },
      { index: 1, name: 'NVIDIA H100 80GB HBM3', powerW: 64, powerLimitW: 700, minLimitW: 200, maxLimitW: 700, utilizationPct: 0 },
    ]);
  });

  it('sets a limit that the card then enforces: a busy card bursts up to it, never above', async () => {
    const d = driver();
    const card = sim.site.gpuHost('gpu-1')!.gpus[0]!;
    try {
      await d.setPowerLimit(0, 350);
      expect((await d.read())[0]!.powerLimitW).toBe(350);
      await waitFor('limit enforced', () => card.truth().enforcedLimitW === 350);
      await d.setBusy(0, true);
      const seen: number[] = [];
      await waitFor('a burst at the limit and a decode phase below it', async () => {
        seen.push((await d.read())[0]!.powerW);
        return seen.includes(350) && seen.some((w) => w < 350);
      }, { timeoutMs: 10_000, intervalMs: 10 });
      expect(Math.max(...seen)).toBe(350);
      expect(Math.min(...seen)).toBeGreaterThan(64);
      expect((await d.read())[1]!.powerW).toBe(64); // the other card stays idle
      await d.setBusy(0, false);
      expect((await d.read())[0]).toMatchObject({ powerW: 64, utilizationPct: 0 });
    } finally {
      // Back as it started (idle, at its maximum limit): the other tests read it so.
      card.setBusy(false);
      card.setPowerLimit(700);
    }
  });

  it('keeps busy flags in order per card even when not awaited', async () => {
    const d = driver();
    const card = sim.site.gpuHost('gpu-1')!.gpus[1]!;
    try {
      void d.setBusy(1, true);
      await d.setBusy(1, false);
      expect(card.busy).toBe(false);
    } finally {
      card.setBusy(false);
    }
  });

  it('refuses limits outside the card\'s range, unknown hosts and cards, naming the field', async () => {
    const range = await refusal(driver().setPowerLimit(0, 100));
    expect(range).toMatchObject({ kind: 'refused', field: 'watts' });
    expect(range.message).toBe(`emulated GPUs at ${sim.url}/gpus/gpu-1/0/power-limit: watts: 100 W is outside 200..700 W for GPU 0 (NVIDIA H100 80GB HBM3)`);
    expect(await refusal(driver().setPowerLimit(5, 300))).toMatchObject({ kind: 'refused', field: 'index' });
    const host = await refusal(driver('gpu-9').read());
    expect(host).toMatchObject({ kind: 'refused', field: 'hostId' });
    expect(host.message).toMatch(/hostId: no GPU host "gpu-9" \(known: gpu-1\)/);
  });

  it('answers bad bodies with problem+json naming the field', async () => {
    const put = (path: string, body: string) => fetch(`${sim.url}/gpus/gpu-1/${path}`, { method: 'PUT', body });
    const watts = await put('0/power-limit', '{"watts": "lots"}');
    expect(watts.status).toBe(400);
    expect(watts.headers.get('content-type')).toBe('application/problem+json');
    expect(await watts.json()).toMatchObject({ field: 'watts', detail: 'watts: expected a number of watts' });
    expect(await (await put('0/busy', '{"busy": "yes"}')).json()).toMatchObject({ status: 400, field: 'busy' });
    expect(await (await put('0/busy', '[')).json()).toMatchObject({ status: 400, title: 'invalid JSON body' });
  });

  it('fails fast and clearly when the emulator is gone or silent', async () => {
    const closed = new EmulatedGpuDriver({ url: `http://127.0.0.1:${await freePort()}`, hostId: 'gpu-1' });
    expect(await refusal(closed.read())).toMatchObject({ kind: 'unreachable', message: expect.stringMatching(/ECONNREFUSED/) });
    const silent: Server = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const started = Date.now();
      const e = await refusal(new EmulatedGpuDriver({ url: `http://127.0.0.1:${port}`, hostId: 'gpu-1', timeoutMs: 200 }).setPowerLimit(0, 300));
      expect(e.kind).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sitePower, type SimSite } from '../src/index.js';
import { startSim } from './helpers.js';

describe('whole-site truth', () => {
  it('adds cooling to the IT load: (miners + GPUs + host overheads) × (1 + fraction) + fixed', () => {
    expect(sitePower({ minersW: 100_000, gpusW: 5_000, hostOverheadW: 800 }, { fraction: 0.1, fixedW: 0 }))
      .toEqual({ sitePowerW: 116_380, minersW: 100_000, gpusW: 5_000, hostOverheadW: 800, coolingW: 10_580 });
    expect(sitePower({ minersW: 1000.04, gpusW: 64.04, hostOverheadW: 0 }, { fraction: 0.25, fixedW: 2000 }))
      .toEqual({ sitePowerW: 3330, minersW: 1000, gpusW: 64, hostOverheadW: 0, coolingW: 2266 });
  });

  describe('in /truth', () => {
    let site: SimSite;
    beforeAll(async () => {
      site = await startSim({
        miners: 4, models: ['s21'], seed: 5, speed: 10,
        gpuHosts: [{ id: 'gpu-a', gpus: 2, model: 'h100', overheadW: 400 }, { id: 'gpu-b', gpus: 1, model: 'a100', overheadW: 250 }],
        cooling: { fraction: 0.3, fixedW: 5000 },
      });
    });
    afterAll(() => site.stop());

    it('keeps totalPowerW for the miners and reports the whole site beside it', () => {
      const t = site.truth(false);
      expect(t.site.minersW).toBe(t.totalPowerW);
      expect(t.site.gpusW).toBe(64 + 64 + 50); // all idle
      expect(t.site.hostOverheadW).toBe(650);
      expect(t.site.coolingW).toBeCloseTo((t.totalPowerW + 178 + 650) * 0.3 + 5000, 1);
      expect(t.site.sitePowerW).toBeCloseTo(t.site.minersW + t.site.gpusW + t.site.hostOverheadW + t.site.coolingW, 1);
      expect(t.gpuHosts).toEqual([
        { hostId: 'gpu-a', model: 'h100', hostOverheadW: 400, gpusW: 128, gpus: 2, busy: 0 },
        { hostId: 'gpu-b', model: 'a100', hostOverheadW: 250, gpusW: 50, gpus: 1, busy: 0 },
      ]);
    });

    it('counts busy GPUs in the site power', () => {
      const before = site.truth(false).site;
      site.gpuHost('gpu-a')!.gpus[0]!.setBusy(true);
      try {
        const after = site.truth(false);
        expect(after.gpuHosts[0]!.busy).toBe(1);
        expect(after.site.gpusW).toBeGreaterThan(before.gpusW);
        expect(after.site.sitePowerW - before.sitePowerW).toBeCloseTo((after.site.gpusW - before.gpusW + after.site.minersW - before.minersW) * 1.3, 0);
      } finally {
        site.gpuHost('gpu-a')!.gpus[0]!.setBusy(false); // the other test counts every GPU idle
      }
    });

    it('refuses a GPU host declared twice', async () => {
      await expect(startSim({ miners: 1, gpuHosts: [{ id: 'g', gpus: 1, model: 'h100', overheadW: 0 }, { id: 'g', gpus: 1, model: 'h100', overheadW: 0 }] }))
        .rejects.toThrow('GPU host "g" declared twice');
    });
  });
});

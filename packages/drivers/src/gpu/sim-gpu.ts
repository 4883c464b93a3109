import { gpuModel, mulberry32, type GpuModel, type Rng } from '@wattbroker/core';
import type { GpuDriver, GpuReading } from './gpu-driver.js';

/**
 * Simulated GPUs: power follows job load inside the limit. LLM inference is bursty: prompt
 * processing hits the limit, decode draws 20–45 % of the board power; the load changes every
 * half second. An idle card draws its idle power. A new limit takes effect at once (real
 * cards: within about a second).
 */
export class SimGpuDriver implements GpuDriver {
  private readonly gpus: Array<{ model: GpuModel; limitW: number; busy: boolean }>;
  private readonly rng: Rng;

  constructor(models: readonly string[], seed = 1) {
    this.gpus = models.map((m) => {
      const model = gpuModel(m);
      return { model, limitW: model.maxLimitW, busy: false };
    });
    this.rng = mulberry32(seed);
  }

  async read(): Promise<GpuReading[]> {
    return this.gpus.map((g, index) => {
      const load = g.busy ? (this.rng() < 0.35 ? 1 : 0.2 + 0.25 * this.rng()) : 0;
      const powerW = g.busy ? Math.min(g.limitW, g.model.idleW + load * (g.model.maxLimitW - g.model.idleW)) : g.model.idleW;
      return {
        index, name: g.model.name, powerW: Math.round(powerW), powerLimitW: g.limitW,
        minLimitW: g.model.minLimitW, maxLimitW: g.model.maxLimitW, utilizationPct: Math.round(load * 100),
      };
    });
  }

  async setPowerLimit(index: number, watts: number): Promise<void> {
    const g = this.gpus[index];
    if (!g) throw new RangeError(`no GPU ${index}`);
    if (watts < g.model.minLimitW || watts > g.model.maxLimitW) {
      throw new RangeError(`power limit ${watts} W outside ${g.model.minLimitW}..${g.model.maxLimitW} W for GPU ${index}`);
    }
    g.limitW = watts;
  }

  setBusy(index: number, busy: boolean): void {
    const g = this.gpus[index];
    if (g) g.busy = busy;
  }
}

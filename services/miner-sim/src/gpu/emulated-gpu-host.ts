import { gpuModel, seedFrom, type GpuModel } from '@wattbroker/core';
import { EmulatedGpu, type GpuClock, type GpuTruth } from './emulated-gpu.js';

/** One GPU server as declared by `--gpu-host ID:COUNT[:MODEL[:OVERHEAD_W]]`. */
export interface GpuHostSpec {
  readonly id: string;
  readonly gpus: number;
  /** Catalog key (h100, h200, a100, rtx4090). */
  readonly model: string;
  /** Chassis draw beyond the GPUs (CPU, memory, fans), W. */
  readonly overheadW: number;
}

export interface GpuHostTruth {
  hostId: string;
  model: string;
  hostOverheadW: number;
  /** Sum of the cards' draw, W. */
  gpusW: number;
  gpus: GpuTruth[];
}

const HOST_ID = /^[A-Za-z0-9._-]{1,128}$/;
export const GPU_HOST_DEFAULTS = { model: 'h100', overheadW: 400 } as const;

/** Parse `gpu-1:8:h100:400` (model and overhead optional); a RangeError names the bad part. */
export function parseGpuHostSpec(spec: string): GpuHostSpec {
  const [id, count, model = GPU_HOST_DEFAULTS.model, overhead, ...extra] = spec.split(':');
  if (extra.length > 0 || id === undefined || count === undefined) throw new RangeError(`expected ID:COUNT[:MODEL[:OVERHEAD_W]], got "${spec}"`);
  if (!HOST_ID.test(id)) throw new RangeError(`host id "${id}": letters, digits and . _ - only`);
  const gpus = Number(count);
  if (!Number.isInteger(gpus) || gpus < 1 || gpus > 64) throw new RangeError(`GPU count "${count}": expected a whole number 1..64`);
  gpuModel(model); // throws naming the known models
  const overheadW = overhead === undefined ? GPU_HOST_DEFAULTS.overheadW : Number(overhead);
  if (overhead !== undefined && (overhead.trim() === '' || !Number.isFinite(overheadW) || overheadW < 0)) {
    throw new RangeError(`host overhead "${overhead}": expected watts ≥ 0`);
  }
  return { id, gpus, model, overheadW };
}

/** A GPU server: its cards and a constant chassis overhead. */
export class EmulatedGpuHost {
  readonly model: GpuModel;
  readonly gpus: EmulatedGpu[];

  constructor(readonly spec: GpuHostSpec, seed: number, clock: GpuClock) {
    this.model = gpuModel(spec.model);
    this.gpus = Array.from({ length: spec.gpus }, (_, i) => new EmulatedGpu(this.model, i, seedFrom(seed, spec.id), clock));
  }

  get id(): string {
    return this.spec.id;
  }

  truth(): GpuHostTruth {
    const gpus = this.gpus.map((g) => g.truth());
    return {
      hostId: this.spec.id, model: this.model.key, hostOverheadW: this.spec.overheadW,
      gpusW: Math.round(gpus.reduce((s, g) => s + g.powerW, 0) * 10) / 10, gpus,
    };
  }
}

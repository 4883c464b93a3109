/**
 * GPU models. Figures from vendor datasheets (summarised in docs/design.md, "Hardware
 * figures"); values marked est. in the comments are typical `nvidia-smi` readings, kept as
 * fields so a site can correct them.
 */
export interface GpuModel {
  readonly key: string;
  readonly name: string;
  /** Highest settable board power limit (also the default limit). */
  readonly maxLimitW: number;
  /** Lowest settable board power limit. */
  readonly minLimitW: number;
  readonly idleW: number;
}

export const GPU_MODELS = {
  h100: { key: 'h100', name: 'NVIDIA H100 80GB HBM3', maxLimitW: 700, minLimitW: 200, idleW: 64 },
  h200: { key: 'h200', name: 'NVIDIA H200', maxLimitW: 700, minLimitW: 200, idleW: 64 },
  // A100 SXM: min limit and idle est.
  a100: { key: 'a100', name: 'NVIDIA A100-SXM4-80GB', maxLimitW: 400, minLimitW: 100, idleW: 50 },
  // RTX 4090: min limit and idle est.
  rtx4090: { key: 'rtx4090', name: 'NVIDIA GeForce RTX 4090', maxLimitW: 450, minLimitW: 150, idleW: 20 },
} as const satisfies Record<string, GpuModel>;

export type GpuModelKey = keyof typeof GPU_MODELS;
export const GPU_MODEL_KEYS = Object.keys(GPU_MODELS) as GpuModelKey[];

export function gpuModel(key: string): GpuModel {
  const model = (GPU_MODELS as Record<string, GpuModel>)[key];
  if (!model) throw new RangeError(`unknown GPU model "${key}" (known: ${GPU_MODEL_KEYS.join(', ')})`);
  return model;
}

/** Clamp a requested per-GPU limit into what the card accepts. */
export function clampGpuLimitW(model: GpuModel, requestedW: number): number {
  return Math.min(model.maxLimitW, Math.max(model.minLimitW, requestedW));
}

import { z } from 'zod';

/**
 * An agent's host file: who it is and which devices it drives. Validated at start; a bad
 * file stops the agent with the field named.
 */
const id = z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only');

export const LuxosMinerConfigSchema = z.strictObject({
  id,
  driver: z.literal('luxos'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(4028),
});

export const GpuConfigSchema = z.strictObject({
  id,
  driver: z.enum(['sim', 'nvidia-smi']),
  /** nvidia-smi index (`-i N`). */
  index: z.number().int().nonnegative(),
  /** Catalog model key (h100, h200, a100, rtx4090) for limits when the driver cannot say. */
  model: z.string().min(1).default('h100'),
});

export const HostConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    hostId: id,
    kind: z.literal('asic'),
    /** Concurrent miner connections. @defaultValue 32 */
    concurrency: z.number().int().min(1).max(1024).default(32),
    hostOverheadW: z.number().nonnegative().default(0),
    /** Wake miners with mode=unsafe (fast; costs chip wear). */
    fastWake: z.boolean().default(true),
    miners: z.array(LuxosMinerConfigSchema).min(1),
  }),
  z.strictObject({
    hostId: id,
    kind: z.literal('gpu'),
    /** Chassis draw beyond the GPUs (CPU, memory, fans), W. */
    hostOverheadW: z.number().nonnegative().default(400),
    gpus: z.array(GpuConfigSchema).min(1),
  }),
]).superRefine((c, ctx) => {
  const ids = c.kind === 'asic' ? c.miners.map((m) => m.id) : c.gpus.map((g) => g.id);
  const seen = new Set<string>();
  ids.forEach((d, i) => {
    if (seen.has(d)) ctx.addIssue({ code: 'custom', path: [c.kind === 'asic' ? 'miners' : 'gpus', i, 'id'], message: `duplicate device id "${d}"` });
    seen.add(d);
  });
});

export type HostConfig = z.infer<typeof HostConfigSchema>;

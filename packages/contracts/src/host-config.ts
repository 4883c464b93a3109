import { z } from 'zod';

/**
 * An agent's host file: who it is and which devices it drives. Validated at start; a bad
 * file stops the agent with the field named.
 */
/** A host or device id: also part of Redis key names and ACL key patterns, so no glob characters. */
export const HostIdSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only');
const id = HostIdSchema;

/** An inference endpoint's base URL: http(s), no credentials, query or fragment. */
const EndpointUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http(s):// base URL, e.g. http://127.0.0.1:8000' })
  .refine((u) => { const x = new URL(u); return !x.username && !x.password && !x.search && !x.hash; }, 'a base URL without credentials, query or fragment');

export const LuxosMinerConfigSchema = z.strictObject({
  id,
  driver: z.literal('luxos'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(4028),
});

export const GPU_DRIVERS = ['nvidia-smi', 'emulated'] as const;

export const GpuConfigSchema = z.strictObject({
  id,
  /**
   * `nvidia-smi` for real cards; `emulated` for the GPUs of the site emulator
   * (`miner-sim --gpu-host`), reached at the host's `emulatorUrl`.
   */
  driver: z.enum(GPU_DRIVERS, { error: `expected one of ${GPU_DRIVERS.map((d) => `"${d}"`).join(', ')} (the in-process "sim" driver became "emulated": GPUs served by miner-sim)` }),
  /** nvidia-smi index (`-i N`), or the card's index on the emulated host. */
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
    /**
     * A telemetry round publishes at most this long after it starts, with the miners that
     * answered; one whose read has been in flight this long, or that has not been read for
     * twice this long, is reported unreachable, and those not read yet go first in the next
     * round. Keep it
     * under the scheduler's `--silent-after-s` (2.5 s) less the telemetry interval (1 s), or
     * one hung miner makes its whole host silent. @defaultValue 1500
     */
    roundDeadlineMs: z.number().int().min(100).max(60_000).optional(),
    miners: z.array(LuxosMinerConfigSchema).min(1),
  }),
  z.strictObject({
    hostId: id,
    kind: z.literal('gpu'),
    /** Chassis draw beyond the GPUs (CPU, memory, fans), W. */
    hostOverheadW: z.number().nonnegative().default(400),
    /**
     * Base URL of the site emulator's HTTP server (its `/truth` port), for `emulated` GPUs;
     * the emulated host with this file's `hostId` is the one driven.
     */
    emulatorUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// URL of the site emulator, e.g. http://127.0.0.1:14027' }).optional(),
    /**
     * The inference servers jobs may call (the only URLs the agent fetches for a job), by
     * name: base URLs such as a local vLLM (`http://127.0.0.1:8000`) or Ollama server. A job
     * names one and a path under it.
     */
    endpoints: z.record(HostIdSchema, EndpointUrlSchema).default({}),
    /**
     * For `nvidia-smi` GPUs when the agent runs as its own user (as infra/ sets it up): the
     * root helper that sets a power limit, run as `sudo -n HELPER INDEX WATTS`, e.g.
     * /usr/local/lib/wattbroker/set-gpu-power-limit. Without it the agent calls
     * `nvidia-smi -pl` itself, which needs root.
     */
    powerLimitHelper: z.string().regex(/^\/[A-Za-z0-9._\/-]+$/, 'an absolute path, e.g. /usr/local/lib/wattbroker/set-gpu-power-limit').optional(),
    /** Largest inference response read, bytes (a larger one fails the job). @defaultValue 8 MiB */
    maxResponseBytes: z.number().int().min(1024).max(1024 ** 3).default(8 * 1024 ** 2),
    gpus: z.array(GpuConfigSchema).min(1),
  }),
]).superRefine((c, ctx) => {
  if (c.kind === 'gpu') {
    // One driver per host: a host is either real cards or an emulated server, never both.
    const first = c.gpus[0]!.driver;
    c.gpus.forEach((g, i) => {
      if (g.driver !== first) ctx.addIssue({ code: 'custom', path: ['gpus', i, 'driver'], message: `one driver per host: gpus[0] uses "${first}", this one "${g.driver}"` });
    });
    if (first === 'emulated' && c.emulatorUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['emulatorUrl'], message: 'required when the GPUs use driver "emulated"' });
    }
    if (first === 'emulated' && c.powerLimitHelper !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['powerLimitHelper'], message: 'only used with driver "nvidia-smi" (the GPUs use "emulated")' });
    }
    if (first !== 'emulated' && c.emulatorUrl !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['emulatorUrl'], message: `only used with driver "emulated" (the GPUs use "${first}")` });
    }
    const indexes = new Set<number>();
    c.gpus.forEach((g, i) => {
      if (indexes.has(g.index)) ctx.addIssue({ code: 'custom', path: ['gpus', i, 'index'], message: `duplicate GPU index ${g.index}` });
      indexes.add(g.index);
    });
  }
  const ids = c.kind === 'asic' ? c.miners.map((m) => m.id) : c.gpus.map((g) => g.id);
  const seen = new Set<string>();
  ids.forEach((d, i) => {
    if (seen.has(d)) ctx.addIssue({ code: 'custom', path: [c.kind === 'asic' ? 'miners' : 'gpus', i, 'id'], message: `duplicate device id "${d}"` });
    seen.add(d);
  });
});

export type HostConfig = z.infer<typeof HostConfigSchema>;

import { z } from 'zod';

/**
 * The site a backtest simulates (`wattbroker backtest --site FILE`; without it, the demo's
 * site). Miners come from the hardware catalog (models and counts, a mix and a count or a
 * stock power, or a fleet file of `{id, model}` units); each unit's silicon lottery comes
 * from `seed`. Physics and the agents' timing default to what `pnpm demo` runs. Strict
 * objects: a misspelt key is an error naming it.
 */
const MODEL_KEY = z.string().regex(/^[a-z0-9]+$/, 'a catalog model key such as s21, s19kpro');

export const BacktestMinersSchema = z
  .strictObject({
    /** Exact models and counts, e.g. `[{"model": "s21", "count": 40}]`. */
    models: z.array(z.strictObject({ model: MODEL_KEY, count: z.number().int().positive().max(1_000_000) })).min(1).optional(),
    /** A number of miners, or a stock power to fill, mixed by `mix` (default: the catalog's mix). */
    count: z.number().int().positive().max(1_000_000).optional(),
    stockKw: z.number().finite().positive().max(10_000_000).optional(),
    mix: z.record(MODEL_KEY, z.number().finite().positive()).optional(),
    /** A JSON file `{"miners": [{"id", "model"}]}`, relative to the site file. */
    fleetFile: z.string().min(1).optional(),
  })
  .superRefine((m, ctx) => {
    const given = (['models', 'count', 'stockKw', 'fleetFile'] as const).filter((k) => m[k] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', path: [], message: `give exactly one of models, count, stockKw or fleetFile (got ${given.length ? given.join(', ') : 'none'})` });
    if (m.mix && m.count === undefined && m.stockKw === undefined) ctx.addIssue({ code: 'custom', path: ['mix'], message: 'only with count or stockKw' });
  });

export const BacktestFleetFileSchema = z
  .strictObject({
    miners: z.array(z.strictObject({ id: z.string().min(1).max(128), model: MODEL_KEY })).min(1).max(1_000_000),
  })
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.miners.forEach((m, i) => {
      const first = seen.get(m.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['miners', i, 'id'], message: `duplicate id "${m.id}" (also miners[${first}])` });
      else seen.set(m.id, i);
    });
  });

export const BacktestGpuHostsSchema = z.strictObject({
  /** Host ids are `<prefix>-1`, `<prefix>-2`, … */
  prefix: z.string().regex(/^[A-Za-z0-9._-]+$/).max(32).default('gpu'),
  count: z.number().int().positive().max(10_000).default(1),
  gpus: z.number().int().positive().max(64),
  model: z.string().regex(/^[a-z0-9]+$/).default('h100'),
  /** Chassis (CPU, memory, fans) per host, constant, W. */
  overheadW: z.number().finite().nonnegative().default(400),
});

export const BacktestSiteSchema = z
  .strictObject({
    name: z.string().max(200).optional(),
    /** Silicon lottery, meter noise and GPU load. */
    seed: z.number().int().nonnegative().default(1),
    miners: BacktestMinersSchema.default({ count: 120 }),
    /** Miners are split over this many ASIC agents, in order. */
    asicHosts: z.number().int().positive().max(100_000).default(4),
    gpuHosts: z.array(BacktestGpuHostsSchema).max(64).default([{ prefix: 'gpu', count: 2, gpus: 8, model: 'h100', overheadW: 400 }]),
    /** Default cap: the miners' stock draw + every GPU at its top limit + host overheads, + cooling; margin 2 %. */
    contract: z.strictObject({ capKw: z.number().finite().positive().optional(), marginKw: z.number().finite().nonnegative().optional() }).default({}),
    /** The site's true cooling, which the scheduler's model also uses: site = IT × (1 + fraction) + fixed. */
    cooling: z.strictObject({ fraction: z.number().finite().min(0).max(2).default(0.1), fixedKw: z.number().finite().nonnegative().default(0) }).default({ fraction: 0.1, fixedKw: 0 }),
    /** Feeders or halls: the miners of these ASIC agents are bounded (an ASIC class with its miners in the priority list). */
    zones: z.array(z.strictObject({
      name: z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
      asicHosts: z.array(z.string().min(1)).min(1),
      maxKw: z.number().finite().positive().optional(),
      minKw: z.number().finite().nonnegative().optional(),
    })).max(32).default([]),
    /** Miner physics (services/miner-sim `MinerPhysics`), in simulated seconds; `speed` as in `pnpm demo`. */
    physics: z.strictObject({
      /** Physics and job durations run this many times faster than the trace's clock (the demo: 10). */
      speed: z.number().finite().positive().max(1000).default(1),
      tickS: z.number().finite().positive().default(0.5),
      bootS: z.number().finite().nonnegative().default(20),
      unsafeBootS: z.number().finite().nonnegative().default(3),
      sleepTauS: z.number().finite().positive().default(1),
      /** Agents wake miners with LuxOS's one-step power-up (the demo's agents do). */
      fastWake: z.boolean().default(true),
      /** The profile miners start the warm-up at; `planned`: the one the planner would give them (a large fleet then settles at once). */
      initialProfile: z.string().min(1).default('default'),
      /** Reported miner power carries the emulator's ~0.5 % meter noise. */
      meterNoise: z.boolean().default(true),
    }).default({ speed: 1, tickS: 0.5, bootS: 20, unsafeBootS: 3, sleepTauS: 1, fastWake: true, initialProfile: 'default', meterNoise: true }),
    /** The agents' timing (services/agent). */
    agents: z.strictObject({
      /** A command is applied this long after the step that issued it. */
      latencyMs: z.number().int().nonnegative().max(60_000).default(100),
      /** Full telemetry round per host (also its heartbeat). */
      telemetryMs: z.number().int().positive().max(60_000).default(1000),
      /** Written devices are read back at once and then this often until they settle (for 30 s at most). */
      readbackMs: z.number().int().positive().max(60_000).default(500),
    }).default({ latencyMs: 100, telemetryMs: 1000, readbackMs: 500 }),
    /** What GPU work earns, $ per GPU-hour by class (for revenue and margin per MWh). */
    gpuUsdPerHour: z.record(z.string(), z.number().finite().nonnegative()).default({ critical: 4, standard: 2.5, batch: 1.2 }),
  });

export type BacktestSite = z.infer<typeof BacktestSiteSchema>;
export type BacktestFleetFile = z.infer<typeof BacktestFleetFileSchema>;

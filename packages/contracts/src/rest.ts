import { z } from 'zod';
import { GpuJobSpecSchema } from './agent-messages.js';

/** Request bodies of the scheduler's REST API. */
export const ContractBodySchema = z.strictObject({
  capKw: z.number().positive().max(1e6),
  marginKw: z.number().nonnegative().max(1e6).optional(),
}).refine((b) => b.marginKw === undefined || b.marginKw < b.capKw, { path: ['marginKw'], message: 'must be below capKw' });

export const JobBodySchema = z.strictObject({
  /** A gpu class of the priority list (`GET /v1/priorities`). */
  class: z.string().min(1).max(64).default('standard'),
  gpus: z.number().int().min(1).max(64),
  durationS: z.number().positive().max(86_400).optional(),
  powerLimitW: z.number().positive().max(2000).optional(),
  workload: GpuJobSpecSchema.shape.workload,
}).refine((b) => b.durationS !== undefined || b.workload !== undefined, {
  path: ['durationS'], message: 'give durationS (simulated run) or workload (HTTP inference call)',
});

/**
 * `POST /v1/grid/events`: cap the site at `capKw`, or shed `shedKw` from its baseline (mean
 * site power of the hour before), from `startsAt` to `endsAt`. The site steps down ahead of
 * `startsAt` (over `rampMinutes` when given) so that it complies when the event starts.
 */
export const GridEventBodySchema = z.strictObject({
  capKw: z.number().nonnegative().max(1e6).optional(),
  shedKw: z.number().positive().max(1e6).optional(),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  rampMinutes: z.number().nonnegative().max(240).optional(),
  program: z.string().min(1).max(64).optional(),
  mandatory: z.boolean().default(true),
}).superRefine((b, ctx) => {
  if ((b.capKw === undefined) === (b.shedKw === undefined)) ctx.addIssue({ code: 'custom', path: ['capKw'], message: 'give exactly one of capKw or shedKw' });
  if (Date.parse(b.endsAt) <= Date.parse(b.startsAt)) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
});

export type ContractBody = z.infer<typeof ContractBodySchema>;
export type JobBody = z.infer<typeof JobBodySchema>;
export type GridEventBody = z.infer<typeof GridEventBodySchema>;

const PriceIntervalSchema = z.strictObject({
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
  pricePerMWh: z.number().min(-10_000).max(100_000),
});

/** `PUT /v1/prices/energy`: one price now, or a schedule of intervals. */
export const EnergyPriceBodySchema = z.union([
  z.strictObject({ pricePerMWh: z.number().min(-10_000).max(100_000) }),
  z.strictObject({ intervals: z.array(PriceIntervalSchema).min(1).max(10_000) }).superRefine((b, ctx) => {
    b.intervals.forEach((iv, i) => {
      if (Date.parse(iv.end) <= Date.parse(iv.start)) ctx.addIssue({ code: 'custom', path: ['intervals', i, 'end'], message: 'must be after start' });
      const prev = b.intervals[i - 1];
      if (prev && Date.parse(iv.start) < Date.parse(prev.end)) ctx.addIssue({ code: 'custom', path: ['intervals', i, 'start'], message: 'overlaps the previous interval (give them in order)' });
    });
  }),
]);

/** `PUT /v1/prices/hash`: hashprice, $ per TH/s per day. */
export const HashpriceBodySchema = z.strictObject({ usdPerThDay: z.number().positive().max(100) });

export type EnergyPriceBody = z.infer<typeof EnergyPriceBodySchema>;

/**
 * `PUT /v1/priorities`: an ordered list of classes, highest first. GPU classes are job
 * classes (`class` of `POST /v1/jobs`); ASIC classes hold miner power (a floor or the fill).
 * The grid obligation is not a class: it always comes first.
 */
export const PriorityClassSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
  kind: z.enum(['gpu', 'asic']),
  minKw: z.number().nonnegative().max(1e6).optional(),
  maxKw: z.number().nonnegative().max(1e6).optional(),
  preemptible: z.boolean().optional(),
  /**
   * ASIC classes: the miners this class holds (e.g. a hosting client's); minKw/maxKw then
   * bound their draw alone. Miners no class lists share the classes without a list.
   * Ids of miners not registered yet are accepted (they join when they register).
   */
  miners: z.array(z.string().min(1).max(128)).min(1).max(100_000).optional(),
});

export const PrioritiesBodySchema = z.array(PriorityClassSchema).min(1).max(32).superRefine((list, ctx) => {
  const seen = new Map<string, number>();
  list.forEach((c, i) => {
    const first = seen.get(c.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate class "${c.name}" (also [${first}])` });
    seen.set(c.name, i);
    if (c.minKw !== undefined && c.maxKw !== undefined && c.minKw > c.maxKw) ctx.addIssue({ code: 'custom', path: [i, 'minKw'], message: `${c.minKw} is above maxKw ${c.maxKw}` });
    if (c.miners && c.kind !== 'asic') ctx.addIssue({ code: 'custom', path: [i, 'miners'], message: 'only asic classes hold miners' });
  });
  const owner = new Map<string, number>();
  list.forEach((c, i) => c.miners?.forEach((m, j) => {
    const first = owner.get(m);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'miners', j], message: `miner "${m}" is already in class "${list[first]!.name}"` });
    else owner.set(m, i);
  }));
  if (!list.some((c) => c.kind === 'gpu')) ctx.addIssue({ code: 'custom', path: [], message: 'at least one gpu class is needed for jobs' });
});

export type PriorityClass = z.infer<typeof PriorityClassSchema>;

/** `PATCH /v1/devices/:id`: operator overrides on one device. */
export const DevicePatchSchema = z.strictObject({
  pinnedProfile: z.string().min(1).nullable().optional(),
  maintenance: z.boolean().optional(),
}).refine((b) => b.pinnedProfile !== undefined || b.maintenance !== undefined, { path: [], message: 'give pinnedProfile and/or maintenance' });

/**
 * `POST /v1/grid/schedules`: a recurring grid window, e.g. an ERCOT 4CP watch:
 * `{"name": "4cp", "cron": "0 15 * 6-9 1-5", "tz": "America/Chicago", "durationMinutes": 180, "shedKw": 2000}`.
 * Each firing creates a grid event (source `schedule`) from then for `durationMinutes`.
 */
export const GridScheduleBodySchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only'),
  cron: z.string().min(9).max(120),
  tz: z.string().min(1).max(64).default('UTC'),
  durationMinutes: z.number().positive().max(24 * 60),
  capKw: z.number().nonnegative().max(1e6).optional(),
  shedKw: z.number().positive().max(1e6).optional(),
  rampMinutes: z.number().nonnegative().max(240).optional(),
  program: z.string().min(1).max(64).optional(),
  mandatory: z.boolean().default(true),
}).refine((b) => (b.capKw === undefined) !== (b.shedKw === undefined), { path: ['capKw'], message: 'give exactly one of capKw or shedKw' });

export type GridScheduleBody = z.infer<typeof GridScheduleBodySchema>;
export type DevicePatch = z.infer<typeof DevicePatchSchema>;
export type HashpriceBody = z.infer<typeof HashpriceBodySchema>;

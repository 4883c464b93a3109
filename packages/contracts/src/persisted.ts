import { z } from 'zod';
import { GpuJobSpecSchema, IdSchema, RegisterMessageSchema } from './agent-messages.js';
import { PrioritiesBodySchema, PriorityClassSchema } from './rest.js';

/**
 * What the scheduler keeps in Redis, as schemas: the store parses every record it reads back
 * (a record that does not parse is reported and skipped, never half-used), and the core's
 * types are inferred from here, so the two cannot drift apart. Objects are not strict: a
 * newer version may add a field that an older one ignores.
 */
const ms = z.number().int().nonnegative();
const watts = z.number().nonnegative().finite();

export const ContractRecordSchema = z.object({
  capW: z.number().positive().finite(),
  marginW: watts,
});

export const JobStateSchema = z.enum(['queued', 'admitting', 'running', 'done', 'failed', 'cancelled']);

export const JobRecordSchema = z.object({
  id: IdSchema,
  /** A gpu class of the priority list. */
  class: z.string().min(1),
  gpus: z.number().int().positive(),
  /** Per-GPU limit asked for; absent = the GPU's maximum. */
  powerLimitW: z.number().positive().optional(),
  durationS: z.number().positive().optional(),
  workload: GpuJobSpecSchema.shape.workload,
  state: JobStateSchema,
  /** Host, GPUs and per-GPU limit, once admission starts. */
  hostId: IdSchema.optional(),
  gpuIds: z.array(IdSchema).optional(),
  limitW: z.number().positive().optional(),
  error: z.string().optional(),
  /** The name of the token that submitted it: a tenant sees and cancels only its own jobs. */
  owner: z.string().optional(),
  /** When each state was entered (epoch ms). */
  timestamps: z.partialRecord(JobStateSchema, ms),
});

export const GridEventSourceSchema = z.enum(['rest', 'schedule', 'openadr']);

/** A grid cap from `startsAt` to `endsAt` (a shed request is stored as the cap it implies). */
export const GridEventRecordSchema = z.object({
  id: IdSchema,
  capW: watts,
  startsAt: ms,
  endsAt: ms,
  /** Step down gradually over this long before the event's pre-shed lead. */
  rampMs: ms.optional(),
  program: z.string().optional(),
  mandatory: z.boolean().default(true),
  /** For shed events: what was asked, and the baseline it was taken from. */
  shedW: watts.optional(),
  baselineW: watts.optional(),
  source: GridEventSourceSchema.default('rest'),
});

export const PriceIntervalRecordSchema = z.object({ start: ms, end: ms, pricePerMWh: z.number().finite() });

/** An energy price: one value set by an operator, or a schedule of intervals (day-ahead, OpenADR). */
export const EnergyPriceRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), pricePerMWh: z.number().finite(), setAt: ms }),
  z.object({ kind: z.literal('intervals'), intervals: z.array(PriceIntervalRecordSchema) }),
]);

export const DeviceOverrideSchema = z.object({
  /** The miner keeps this profile whatever the budget. */
  pinnedProfile: z.string().min(1).optional(),
  /** Excluded from control, budgeted at its measured draw. */
  maintenance: z.boolean().optional(),
});

/** A host's last registration (its inventory), kept so a restarted scheduler knows the site at once. */
export const RegistrationSchema = RegisterMessageSchema.omit({ type: true, sentAt: true });

/** One ledger sample (once a second, on the samples stream): what the site drew and was allowed. */
export const SiteSampleSchema = z.object({
  at: ms,
  effectiveCapW: watts,
  contractCapW: watts,
  marginW: watts,
  /** Site power at the point of connection: the meter's when the site has one, else the model's. */
  siteW: watts,
  /** Measured IT + modelled overheads (cooling, host chassis, the learned correction). */
  modelledSiteW: watts.optional(),
  /** The site meter (null: no meter, or its reading is stale). */
  meteredSiteW: watts.nullable().optional(),
  asicW: watts,
  gpuW: watts,
  /** Cooling model + host chassis overhead. */
  overheadW: z.number().finite(),
  /** Site power if every device in transition drew its worst case. */
  worstCaseSiteW: watts,
  hashrateThs: watts,
  silentHosts: z.array(z.string()),
  /** Devices whose reading is off their target and not yet back. */
  offTarget: z.number().int().nonnegative().default(0),
  jobs: z.object({ queued: z.number().int(), admitting: z.number().int(), running: z.number().int() }),
});

export { PriorityClassSchema, PrioritiesBodySchema as PrioritiesRecordSchema };

export type ContractRecord = z.infer<typeof ContractRecordSchema>;
export type JobState = z.infer<typeof JobStateSchema>;
export type JobRecord = z.infer<typeof JobRecordSchema>;
export type GridEventRecord = z.infer<typeof GridEventRecordSchema>;
export type GridEventSource = z.infer<typeof GridEventSourceSchema>;
export type PriceIntervalRecord = z.infer<typeof PriceIntervalRecordSchema>;
export type EnergyPriceRecord = z.infer<typeof EnergyPriceRecordSchema>;
export type DeviceOverride = z.infer<typeof DeviceOverrideSchema>;
export type Registration = z.infer<typeof RegistrationSchema>;
export type SiteSample = z.infer<typeof SiteSampleSchema>;

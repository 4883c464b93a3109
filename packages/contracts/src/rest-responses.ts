import { z } from 'zod';
import { DesiredStateSchema, DeviceReadingSchema, IdSchema } from './agent-messages.js';
import { DeviceOverrideSchema, GridEventSourceSchema, JobStateSchema } from './persisted.js';
import { GridScheduleBodySchema, PriorityClassSchema } from './rest.js';

/**
 * Response bodies of the scheduler's REST API. Routes build their answers as these types (the
 * compiler checks them), clients such as the demo parse with them, and the API reference is
 * generated from them. Errors are RFC 9457 problem details (`ProblemSchema`).
 */
const kw = z.number();
const iso = z.string();

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  /** Every bad field, named the way it was sent (`miners[3].id`). */
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

export const HealthSchema = z.object({ ok: z.literal(true) });
export const ReadinessSchema = z.object({
  /** Leading, with Redis answering. */
  ready: z.boolean(),
  redis: z.boolean(),
  leader: z.boolean(),
  role: z.enum(['leader', 'standby']),
  epoch: z.number().int(),
  /** On a standby: where the leader's API answers. */
  leaderUrl: z.string().optional(),
  /** Control steps that failed in a row (shown when not ready because of them). */
  failingSteps: z.number().int().optional(),
  /** Started with `--observe`: plans and reports, commands nothing. */
  observe: z.literal(true).optional(),
});

export const SiteViewSchema = z.object({
  contract: z.object({ capKw: kw, marginKw: kw }),
  effectiveCapKw: kw,
  /** `siteKw` is the meter's when there is one; `meteredKw` and `modelledKw` side by side. */
  power: z.object({ siteKw: kw, asicKw: kw, gpuKw: kw, overheadKw: kw, meteredKw: kw.nullable(), modelledKw: kw }),
  hashrateThs: z.number(),
  worstCaseSiteKw: kw,
  silentHosts: z.array(z.string()),
  /** Devices whose reading is off their target (being re-commanded, or disobedient). */
  offTargetDevices: z.number().int(),
  jobs: z.object({ queued: z.number().int(), admitting: z.number().int(), running: z.number().int() }),
});

export const HostViewSchema = z.object({
  hostId: IdSchema,
  kind: z.enum(['asic', 'gpu']),
  devices: z.number().int(),
  lastSeen: z.number(),
  silent: z.boolean(),
  overheadW: z.number(),
  /** The agent's latest telemetry says it runs its fallback (it heard no leader). Set by the scheduler shell. */
  fallback: z.boolean().optional(),
});

/**
 * How a device stands against its target, from the latest reading:
 * - `on-target`: the reading shows the desired state; `in-transition`: commanded and getting
 *   there (ramping, or the command is still with the agent);
 * - `off-target`: settled somewhere else (re-commanded with a back-off; budgeted at what it
 *   draws); `disobedient`: still off target after repeated commands (reported);
 * - `idle`: no target yet; `maintenance`: left alone by an operator;
 * - `unknown`, `unreachable`, `silent`: no usable reading (budgeted at the device's maximum).
 */
export const DeviceStatusSchema = z.enum(['unknown', 'silent', 'unreachable', 'idle', 'on-target', 'in-transition', 'off-target', 'disobedient', 'maintenance']);

export const DeviceViewSchema = z.object({
  id: IdSchema,
  hostId: IdSchema,
  kind: z.enum(['asic', 'gpu']),
  model: z.string(),
  reading: DeviceReadingSchema.nullable(),
  readingAt: z.number().nullable(),
  desired: DesiredStateSchema.nullable(),
  /** The reading shows the desired state. */
  confirmed: z.boolean(),
  status: DeviceStatusSchema,
  /** Why it is off target, and what is being done about it. */
  reason: z.string().optional(),
  /** Re-commands sent since it went off target. */
  resends: z.number().int(),
  /** What the cap accounting counts it at now (worst case). */
  budgetW: z.number(),
  override: DeviceOverrideSchema.nullable(),
  /** Miners: learned real draw ÷ table estimate. */
  bias: z.number().optional(),
});

export const JobAcceptedSchema = z.object({ id: IdSchema, state: JobStateSchema });

export const JobViewSchema = z.object({
  id: IdSchema,
  state: JobStateSchema,
  class: z.string(),
  gpus: z.number().int(),
  powerLimitW: z.number().optional(),
  durationS: z.number().optional(),
  hostId: IdSchema.optional(),
  gpuIds: z.array(IdSchema).optional(),
  limitW: z.number().optional(),
  error: z.string().optional(),
  /** The name of the token that submitted it. */
  owner: z.string().optional(),
  timestamps: z.partialRecord(JobStateSchema, iso),
  /** Submission → running. */
  admissionWaitMs: z.number().optional(),
  /** For a queued job: why it waits (from the latest plan). */
  waitReason: z.string().optional(),
});

export const GridEventViewSchema = z.object({
  id: IdSchema,
  capKw: kw,
  startsAt: iso,
  endsAt: iso,
  shedKw: kw.optional(),
  baselineKw: kw.optional(),
  rampMinutes: z.number().optional(),
  program: z.string().optional(),
  mandatory: z.boolean(),
  source: GridEventSourceSchema,
});

export const GridScheduleViewSchema = GridScheduleBodySchema.and(z.object({ nextFireAt: iso }));

export const PricesViewSchema = z.object({
  rawPricePerMWh: z.number().optional(),
  /** After strike hysteresis: what the planner uses. */
  effectivePricePerMWh: z.number().optional(),
  hashpricePerThDay: z.number().optional(),
});

export const BaselineMethodSchema = z.enum(['mean-60m', 'mean-15m', 'last-15m-interval']);
const ReportPointSchema = z.object({ at: iso, siteKw: kw });

export const ComplianceReportSchema = z.object({
  eventId: z.string(),
  startsAt: iso,
  endsAt: iso,
  requestedKw: kw,
  baseline: z.object({ method: BaselineMethodSchema, kw: kw.nullable(), samples: z.number().int() }),
  /** Seconds from startsAt to the first sample at or under the requested level. */
  timeToComplianceS: z.number().nullable(),
  meanKw: kw.nullable(),
  deliveredReductionKw: kw.nullable(),
  requestedReductionKw: kw.nullable(),
  /** Samples (1 s each) at or after startsAt that were above the requested level. */
  secondsAbove: z.number().int(),
  firstAbove: iso.nullable(),
  samples: z.number().int(),
  complete: z.boolean(),
  series: z.object({ s1: z.array(ReportPointSchema), m1: z.array(ReportPointSchema), m15: z.array(ReportPointSchema) }),
});

export const ClassExplanationSchema = z.object({
  name: z.string(),
  kind: z.enum(['gpu', 'asic']),
  rank: z.number().int(),
  kw,
  minKw: kw.nullable(),
  maxKw: kw.nullable(),
  waitingJobs: z.number().int(),
  why: z.string(),
});

/** `GET /v1/plan`: the latest step's decision and why. */
export const PlanExplanationSchema = z.object({
  at: z.number(),
  effectiveCapW: z.number(),
  binding: z.enum(['contract', 'grid', 'zones']),
  itBudgetW: z.number(),
  hostOverheadW: z.number(),
  gpuBudgetW: z.number(),
  minerBudgetW: z.number(),
  plannedMinerW: z.number(),
  plannedHashrateThs: z.number(),
  lpBoundThs: z.number(),
  feasible: z.boolean(),
  /** Energy price used (after strike hysteresis) and hashprice, when the price stop is on. */
  economics: z.object({ energyPricePerMWh: z.number(), hashpricePerThDay: z.number() }).nullable(),
  profiles: z.record(z.string(), z.number().int()),
  excludedMiners: z.array(z.string()),
  classes: z.array(ClassExplanationSchema),
  /** Every queued job and why it waits. */
  waiting: z.array(z.object({ jobId: z.string(), class: z.string(), reason: z.string(), reservedFrom: iso.optional() })),
  /** Level-triggered reconciliation: devices off target and the measured excess shed this step. */
  reconcile: z.object({
    offTarget: z.array(z.object({ id: z.string(), status: z.enum(['off-target', 'disobedient']), reason: z.string() })),
    measuredSiteW: z.number(),
    excessW: z.number(),
  }),
  reasons: z.array(z.string()),
});

export const PrioritiesViewSchema = z.array(PriorityClassSchema);

export type Problem = z.infer<typeof ProblemSchema>;
export type Readiness = z.infer<typeof ReadinessSchema>;
export type SiteView = z.infer<typeof SiteViewSchema>;
export type HostView = z.infer<typeof HostViewSchema>;
export type DeviceStatus = z.infer<typeof DeviceStatusSchema>;
export type DeviceView = z.infer<typeof DeviceViewSchema>;
export type JobAccepted = z.infer<typeof JobAcceptedSchema>;
export type JobView = z.infer<typeof JobViewSchema>;
export type GridEventView = z.infer<typeof GridEventViewSchema>;
export type GridScheduleView = z.infer<typeof GridScheduleViewSchema>;
export type PricesView = z.infer<typeof PricesViewSchema>;
export type BaselineMethod = z.infer<typeof BaselineMethodSchema>;
export type ReportPoint = z.infer<typeof ReportPointSchema>;
export type ComplianceReport = z.infer<typeof ComplianceReportSchema>;
export type ClassExplanation = z.infer<typeof ClassExplanationSchema>;
export type PlanExplanation = z.infer<typeof PlanExplanationSchema>;

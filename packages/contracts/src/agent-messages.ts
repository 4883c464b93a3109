import { z } from 'zod';

/**
 * Messages between the scheduler and agents. The same schemas validate on both sides of the
 * queue: the sender parses what it builds, the receiver parses what it reads, and a message
 * that fails is rejected with the field named (never half-applied).
 */
/** Ids of hosts, devices, jobs, commands: safe in keys, queue names and logs. */
export const IdSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only');
const id = IdSchema;

/**
 * A path (and query) under an inference endpoint: starts with one `/`, no `.`/`..` segments,
 * no `//`, no backslash, no encoded dot, slash or backslash, no fragment. What it cannot
 * express is leaving the endpoint's origin or base path.
 */
export const WorkloadPathSchema = z.string().max(2048)
  .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/, 'a path under the endpoint, e.g. /v1/chat/completions (starts with /, URL path characters only)')
  .refine((p) => !p.split('?')[0]!.split('/').slice(1).some((seg) => seg === '.' || seg === '..'), 'no . or .. segments')
  .refine((p) => !p.split('?')[0]!.includes('//'), 'no empty segments (//)')
  .refine((p) => !/%(2e|2f|5c)/i.test(p), 'no percent-encoded . / or \\');

export const MinerDesiredSchema = z.strictObject({
  kind: z.literal('asic'),
  /** A profile name, or "sleep". */
  profile: z.string().min(1),
});

export const GpuJobSpecSchema = z.strictObject({
  id,
  /** Simulated run time (scaled by the agent's speed). */
  durationS: z.number().positive().max(86_400).optional(),
  /**
   * An HTTP call to one of the inference servers declared in the GPU host's file (its
   * `endpoints`): the job names the endpoint and a path under it, never a URL, so it can
   * reach nothing else (see services/agent/src/workload.ts). The job ends when it answers.
   */
  workload: z.strictObject({
    endpoint: id,
    path: WorkloadPathSchema,
    method: z.enum(['POST', 'GET']).default('POST'),
    body: z.unknown().optional(),
    timeoutS: z.number().positive().max(3600).default(300),
  }).optional(),
});

export const GpuDesiredSchema = z.strictObject({
  kind: z.literal('gpu'),
  /** Power limit to enforce on the card (W). */
  powerLimitW: z.number().positive().max(2000),
  /** The job this GPU runs, or null when idle. */
  job: GpuJobSpecSchema.nullable(),
});

export const DesiredStateSchema = z.discriminatedUnion('kind', [MinerDesiredSchema, GpuDesiredSchema]);

/** One command per step per host: the full desired state of every device it changes. */
export const AgentCommandSchema = z.strictObject({
  commandId: id,
  hostId: id,
  /** The leader's epoch; agents ignore anything older than the newest they have seen. */
  epoch: z.number().int().nonnegative(),
  issuedAt: z.number().int().nonnegative(),
  devices: z.record(id, DesiredStateSchema),
});

/**
 * A mandatory grid event sent ahead of time: at `startsAt` the agent applies these targets
 * on its own (only where they lower a device's power), so the site complies even if the
 * scheduler is unreachable by then. Re-arming an event replaces its plan.
 */
export const ArmCommandSchema = z.strictObject({
  eventId: id,
  hostId: id,
  epoch: z.number().int().nonnegative(),
  startsAt: z.number().int().nonnegative(),
  endsAt: z.number().int().nonnegative(),
  devices: z.record(id, MinerDesiredSchema),
});

/**
 * The conservative state an agent falls back to on its own when it has heard no leader for
 * `afterMs`: its miners' part of a plan that leaves room for every GPU of the site at its top
 * limit (so that no GPU burst the leader can no longer see can take the site over its cap).
 * Applied only where it lowers a device's power. The leader re-sends it every few seconds,
 * which is also how the agent knows a leader is there.
 */
export const FallbackCommandSchema = z.strictObject({
  hostId: id,
  epoch: z.number().int().nonnegative(),
  issuedAt: z.number().int().nonnegative(),
  afterMs: z.number().int().min(1000).max(3_600_000),
  devices: z.record(id, MinerDesiredSchema),
});

export const DeviceResultSchema = z.strictObject({
  ok: z.boolean(),
  /** A read-back showed the desired state reached. */
  confirmed: z.boolean(),
  error: z.string().optional(),
  /** Not written: a newer command for this device arrived first (it writes instead). */
  superseded: z.boolean().optional(),
});

export const MinerInventorySchema = z.strictObject({
  id,
  kind: z.literal('asic'),
  model: z.string(),
  profiles: z.array(z.strictObject({ name: z.string().min(1), powerW: z.number().nonnegative(), hashrateThs: z.number().nonnegative() })).min(1),
  sleepW: z.number().nonnegative(),
});

export const GpuInventorySchema = z.strictObject({
  id,
  kind: z.literal('gpu'),
  model: z.string(),
  minLimitW: z.number().positive(),
  maxLimitW: z.number().positive(),
  idleW: z.number().nonnegative(),
});

export const DeviceInventorySchema = z.discriminatedUnion('kind', [MinerInventorySchema, GpuInventorySchema]);

/** An agent's inventory: sent at start and every 30 s (the scheduler keeps the last one). */
export const RegisterMessageSchema = z.strictObject({
  type: z.literal('register'),
  hostId: id,
  kind: z.enum(['asic', 'gpu']),
  /** Extra draw of the host itself (server chassis, controller), W. */
  hostOverheadW: z.number().nonnegative(),
  devices: z.array(DeviceInventorySchema),
  sentAt: z.number().int(),
});

/** What an agent did with one command. */
export const ResultMessageSchema = z.strictObject({
  type: z.literal('result'),
  hostId: id,
  commandId: id,
  epoch: z.number().int().nonnegative(),
  /** Ignored because a newer leader has spoken. */
  stale: z.boolean(),
  /** The highest epoch the agent has obeyed (a stale command's sender must step down past it). */
  agentEpoch: z.number().int().nonnegative().optional(),
  devices: z.record(id, DeviceResultSchema),
  /** When the agent took the command off its queue (delivery latency = receivedAt − issuedAt). */
  receivedAt: z.number().int().optional(),
  sentAt: z.number().int(),
});

/** A job ended on a GPU host (or started: informational). */
export const JobMessageSchema = z.strictObject({
  type: z.literal('job'),
  hostId: id,
  jobId: id,
  state: z.enum(['running', 'done', 'failed']),
  error: z.string().optional(),
  sentAt: z.number().int(),
});

/** Everything an agent sends on its results stream (`{wb}:results:<hostId>`). */
export const AgentMessageSchema = z.discriminatedUnion('type', [RegisterMessageSchema, ResultMessageSchema, JobMessageSchema]);

export const DeviceReadingSchema = z.strictObject({
  id,
  /** False when the device did not answer this round (its last reading is stale). */
  reachable: z.boolean(),
  powerW: z.number().nonnegative(),
  hashrateThs: z.number().nonnegative().optional(),
  /** Miners: the configured profile, shown at once when set and kept while asleep or waking. */
  profile: z.string().optional(),
  /** Miners: asleep, powering down, or waking (booting). */
  sleeping: z.boolean().optional(),
  /** Miners: booting after a wake-up (`sleeping` is true too). */
  waking: z.boolean().optional(),
  /** Miners: awake and moving toward the configured profile. */
  ramping: z.boolean().optional(),
  powerLimitW: z.number().nonnegative().optional(),
  jobId: z.string().nullable().optional(),
  /**
   * The last command the agent had applied to this device when it took the reading: a reading
   * that names the scheduler's latest command shows the device after that command's write.
   */
  appliedCommandId: id.optional(),
});

/** One telemetry batch (also the agent's heartbeat). */
export const TelemetryBatchSchema = z.strictObject({
  hostId: id,
  seq: z.number().int().nonnegative(),
  sentAt: z.number().int(),
  /** Epoch of the newest command the agent has applied. */
  epoch: z.number().int().nonnegative(),
  /** The agent heard no leader for its fallback period and applied its fallback. */
  fallback: z.boolean().optional(),
  hostOverheadW: z.number().nonnegative(),
  devices: z.array(DeviceReadingSchema),
});

export type MinerDesired = z.infer<typeof MinerDesiredSchema>;
export type GpuDesired = z.infer<typeof GpuDesiredSchema>;
export type GpuJobSpec = z.infer<typeof GpuJobSpecSchema>;
export type DesiredState = z.infer<typeof DesiredStateSchema>;
export type AgentCommand = z.infer<typeof AgentCommandSchema>;
export type ArmCommand = z.infer<typeof ArmCommandSchema>;
export type FallbackCommand = z.infer<typeof FallbackCommandSchema>;
export type DeviceResult = z.infer<typeof DeviceResultSchema>;
export type DeviceInventory = z.infer<typeof DeviceInventorySchema>;
export type MinerInventory = z.infer<typeof MinerInventorySchema>;
export type GpuInventory = z.infer<typeof GpuInventorySchema>;
export type AgentMessage = z.infer<typeof AgentMessageSchema>;
export type RegisterMessage = z.infer<typeof RegisterMessageSchema>;
export type ResultMessage = z.infer<typeof ResultMessageSchema>;
export type JobMessage = z.infer<typeof JobMessageSchema>;
export type DeviceReading = z.infer<typeof DeviceReadingSchema>;
export type TelemetryBatch = z.infer<typeof TelemetryBatchSchema>;

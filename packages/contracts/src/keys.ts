/**
 * Every Redis key, BullMQ queue and stream name of a site, in one place. All carry the `{wb}`
 * hash tag so that on Redis Cluster a site's keys land in one slot (BullMQ's Lua scripts and
 * the MULTI writes of the store need that).
 */
export const BULL_PREFIX = '{wb}';

/** BullMQ queues (under BULL_PREFIX). */
export const COMMAND_QUEUE_PREFIX = 'agent-';
/** One command queue per host: desired states and armed grid sheds for that host's agent. */
export const commandQueue = (hostId: string) => `${COMMAND_QUEUE_PREFIX}${hostId}`;
/** Registrations, command results and job ends from every agent, consumed by the leader. */
export const RESULTS_QUEUE = 'results';
/** Recurring grid windows (BullMQ job schedulers). */
export const GRID_SCHEDULE_QUEUE = 'grid-schedules';

/** Redis stream of telemetry batches from every agent. */
export const TELEMETRY_STREAM = '{wb}:telemetry';
/** Redis stream of site samples (the ledger, once a second) for reports, tests and demos. */
export const SITE_SAMPLES_STREAM = '{wb}:site-samples';

/** Keys of the scheduler's store (see services/scheduler/src/store). */
export const KEYS = {
  /** Leader lease (SET NX PX) and the epoch counter it bumps. */
  leader: '{wb}:leader',
  epoch: '{wb}:epoch',
  /** Who leads and where its API is (JSON, expires with the lease). */
  leaderInfo: '{wb}:leader:info',
  /** Job records by id (hash), ids of jobs not yet finished (set), all ids by queue time (zset). */
  jobs: '{wb}:jobs',
  activeJobs: '{wb}:jobs:active',
  jobOrder: '{wb}:jobs:order',
  contract: '{wb}:site:contract',
  gridEvents: '{wb}:grid:events',
  gridSchedules: '{wb}:grid:schedules',
  /** Last registration of every host (hash by host id). */
  hosts: '{wb}:hosts',
  energyPrice: '{wb}:prices:energy',
  hashprice: '{wb}:prices:hash',
  priorities: '{wb}:priorities',
  overrides: '{wb}:devices:overrides',
  /** The audit trail of every write made through the API (stream of AuditEntry). */
  audit: '{wb}:audit',
  /** OpenADR event intervals already reported to the VTN (set). */
  openadrReported: '{wb}:openadr:reported',
} as const;

/** An agent's own keys: the highest epoch it has obeyed, and its armed grid sheds. */
export const agentEpochKey = (hostId: string) => `{wb}:agent:${hostId}:epoch`;
export const agentArmedKey = (hostId: string) => `{wb}:agent:${hostId}:armed`;
/** An agent's fallback (the leader's latest): what it applies when it hears no leader. */
export const agentFallbackKey = (hostId: string) => `{wb}:agent:${hostId}:fallback`;

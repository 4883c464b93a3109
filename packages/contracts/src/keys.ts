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
/** Recurring grid windows (BullMQ job schedulers). */
export const GRID_SCHEDULE_QUEUE = 'grid-schedules';

/**
 * Each agent writes only keys named for its own host (its Redis ACL user may touch nothing
 * else), so the key a message arrives on names its sender: the scheduler refuses a message
 * whose body claims another host.
 *
 * Telemetry batches of one host (a Redis stream, read from the newest on).
 */
export const TELEMETRY_STREAM_PREFIX = '{wb}:telemetry:';
export const telemetryStream = (hostId: string) => `${TELEMETRY_STREAM_PREFIX}${hostId}`;
/** Registrations, command results and job ends of one host (a Redis stream, read from the leader's cursor). */
export const RESULTS_STREAM_PREFIX = '{wb}:results:';
export const resultsStream = (hostId: string) => `${RESULTS_STREAM_PREFIX}${hostId}`;
/** The host a per-host stream key belongs to, or undefined for any other key. */
export function streamHost(key: string): string | undefined {
  for (const p of [TELEMETRY_STREAM_PREFIX, RESULTS_STREAM_PREFIX]) if (key.startsWith(p) && key.length > p.length) return key.slice(p.length);
  return undefined;
}
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
  /** How far the leader has handled each host's results stream (hash by host id: stream id). */
  resultsCursor: '{wb}:results-cursor',
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

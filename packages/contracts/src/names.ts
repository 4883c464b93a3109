/**
 * Names of everything on the bus, in one place. Queue names use a `{wb}` hash tag so that on
 * Redis Cluster all of a site's keys land in one slot (BullMQ's Lua scripts need that).
 */
export const COMMAND_QUEUE_PREFIX = 'agent-';
export const commandQueue = (hostId: string) => `${COMMAND_QUEUE_PREFIX}${hostId}`;
export const RESULTS_QUEUE = 'results';
export const BULL_PREFIX = '{wb}';
/** Redis stream of telemetry batches from every agent. */
export const TELEMETRY_STREAM = '{wb}:telemetry';
/** Redis stream of site samples (the ledger, once a second) for tests, reports and demos. */
export const SITE_SAMPLES_STREAM = '{wb}:site-samples';

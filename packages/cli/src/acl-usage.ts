/** Kept apart from acl-command.ts, which loads the Redis client: `wattbroker --help` and the other commands start without it. */
export const ACL_USAGE = `usage: wattbroker acl generate --hosts FILE --out DIR [--redis-url URL] [--force]

Redis users for a site, with fresh random passwords: "scheduler" (every key of the site, no
server administration) and one "agent-<host>" per host (its own command queue, telemetry and
results streams, the site's epoch read-only). Writes, readable by the owner only:
  DIR/users.acl          the ACL file for Redis (aclfile directive; passwords as SHA-256)
  DIR/scheduler.env      WATTBROKER_REDIS_URL for the scheduler(s)
  DIR/agents/HOST.env    WATTBROKER_REDIS_URL for each host's agent
  --hosts FILE      a JSON array of host ids, e.g. ["asic-1", "gpu-1"]
  --redis-url URL   where Redis answers, redis:// or rediss:// (TLS), without credentials
                    (default redis://127.0.0.1:6379)
  --force           replace an earlier DIR/users.acl (rotating every password)
Exit codes: 0 ok; 2 bad usage or hosts file, or DIR already holds users.acl without --force.`;

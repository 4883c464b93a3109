import { createHash, randomBytes } from 'node:crypto';
import {
  BULL_PREFIX, KEYS, agentArmedKey, agentEpochKey, agentFallbackKey, commandQueue, resultsStream, telemetryStream,
} from '@wattbroker/contracts';

/**
 * Redis ACL users for a site: `scheduler` (the site's keys, no server administration) and one
 * `agent-<host>` per host that may touch only its own keys. Passwords are 32 random bytes
 * (hex); the ACL file holds only their SHA-256 (`#<hex>`), so it reveals none.
 *
 * Commands: Redis checks every command a Lua script runs, and BullMQ's scripts use most
 * read and write commands, so agents get the read, write and scripting categories and
 * lose everything that is not bounded by their key patterns (KEYS, SCAN, FLUSHALL, FLUSHDB,
 * RANDOMKEY, SWAPDB, FUNCTION, SCRIPT FLUSH/KILL, pub/sub and every @admin/@dangerous
 * command). Back: INFO (BullMQ reads the server version at connect) and CLIENT SETNAME
 * (BullMQ names its connections). An ACL file holds no comments (Redis refuses them).
 */
export const SCHEDULER_USER = 'scheduler';
export const agentUser = (hostId: string) => `agent-${hostId}`;

const CONNECT = '+info +client|setname +client|id +client|getname';
const KEYLESS_DENIED = '-keys -scan -randomkey -dbsize -swapdb -flushall -flushdb -function -script|flush -script|kill -select -move -migrate -object';

/** The rules (after `user NAME on #HASH`) of one agent. */
export function agentRules(hostId: string): string {
  const bull = `${BULL_PREFIX}:${commandQueue(hostId)}`;
  return [
    'resetkeys resetchannels -@all +@read +@write +@scripting +@connection -@dangerous -@admin -@pubsub', KEYLESS_DENIED, CONNECT,
    // Its command queue (BullMQ's keys of it), its own state, its two outgoing streams, and
    // the site's epoch to read (commands are believed only up to it).
    `~${bull}:* ~${agentEpochKey(hostId)} ~${agentArmedKey(hostId)} ~${agentFallbackKey(hostId)}`,
    `~${telemetryStream(hostId)} ~${resultsStream(hostId)} %R~${KEYS.epoch}`,
  ].join(' ');
}

/** The scheduler's rules: every key of the site, no server administration. */
export function schedulerRules(): string {
  return [
    'resetkeys resetchannels +@all -@dangerous -@admin', KEYLESS_DENIED.replace(' -scan', ''), CONNECT,
    // SCAN finds the hosts' streams (KEYS stays denied: it blocks the server).
    '+scan', `~${BULL_PREFIX}*`,
  ].join(' ');
}

export interface SiteCredentials {
  readonly scheduler: string;
  readonly agents: ReadonlyMap<string, string>;
}

/** Fresh random passwords for the scheduler and each host. */
export function newCredentials(hostIds: readonly string[]): SiteCredentials {
  const pw = () => randomBytes(32).toString('hex');
  return { scheduler: pw(), agents: new Map(hostIds.map((h) => [h, pw()])) };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The default user: off, so nobody can log in as it (every connection must name a user).
 * It keeps every permission all the same, because Redis (7.0 and 7.2 at least) replays a
 * transaction from the append-only file as the default user and checks that user's
 * permissions at EXEC: with `-@all`, every MULTI/EXEC and every Lua script's effects (the
 * scheduler's fenced writes, BullMQ's queues) would be dropped, silently, when Redis restarts
 * (redis/redis#14541, fixed upstream by #14545; Debian 12 ships 7.0). Permissions of a user
 * nobody can log in as grant nothing.
 */
export const DEFAULT_USER_RULES = 'user default off resetpass ~* &* +@all';

/** The ACL file (Redis `aclfile`): the default user off, the scheduler, one user per agent. */
export function aclFile(creds: SiteCredentials): string {
  const lines = [
    DEFAULT_USER_RULES,
    `user ${SCHEDULER_USER} on #${sha256(creds.scheduler)} ${schedulerRules()}`,
    ...[...creds.agents].map(([h, p]) => `user ${agentUser(h)} on #${sha256(p)} ${agentRules(h)}`),
  ];
  return lines.join('\n') + '\n';
}

/** `url` (redis:// or rediss://) with this user and password in it. */
export function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

import type { Redis } from 'ioredis';
import { KEYS } from '@wattbroker/contracts';

/**
 * Leadership for schedulers: whoever holds `{wb}:leader` (SET NX PX) leads. Acquiring it sets
 * a new epoch, which every command and store write carries so that agents and Redis refuse an
 * older leader (fencing). The epoch never goes backwards: it is the larger of the stored
 * epoch + 1, Redis's own clock in milliseconds (so it stays ahead even after Redis lost its
 * data), and a floor the caller gives (the highest epoch agents report). Renewal is a
 * compare-and-extend script, so a leader that lost the lease cannot extend someone else's.
 * Who leads, and where its API is, is kept beside the lease (`{wb}:leader:info`).
 */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const ACQUIRE = `
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local t = redis.call('time')
local clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local epoch = math.max((tonumber(redis.call('get', KEYS[2])) or 0) + 1, clock, tonumber(ARGV[3]))
redis.call('set', KEYS[2], string.format('%d', epoch))
local info = cjson.decode(ARGV[4])
info['epoch'] = epoch
redis.call('set', KEYS[3], cjson.encode(info), 'PX', ARGV[2])
return string.format('%d', epoch)`;
const RENEW_INFO = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('pexpire', KEYS[2], ARGV[2]) end return 1`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[2]) return redis.call('del', KEYS[1]) else return 0 end`;

export interface LeaderInfo {
  readonly owner: string;
  readonly epoch: number;
  /** Where the leader's API answers (so a standby can name it). */
  readonly apiUrl?: string;
  readonly pid?: number;
}

export class LeaderLease {
  epoch = 0;

  constructor(
    private readonly redis: Redis,
    readonly owner: string,
    private readonly ttlMs = 3000,
    private readonly info: Omit<LeaderInfo, 'owner' | 'epoch'> = {},
  ) {}

  /** Try to become (or stay) leader, with an epoch above `floor` if acquiring. Returns true while leading. */
  async tick(floor = 0): Promise<boolean> {
    if (this.epoch > 0) {
      const renewed = (await this.redis.eval(RENEW, 1, KEYS.leader, this.owner, String(this.ttlMs))) as number;
      if (renewed === 1) {
        await this.redis.eval(RENEW_INFO, 2, KEYS.leader, KEYS.leaderInfo, this.owner, String(this.ttlMs));
        return true;
      }
      this.epoch = 0;
    }
    const info = JSON.stringify({ ...this.info, owner: this.owner });
    const epoch = Number(await this.redis.eval(ACQUIRE, 3, KEYS.leader, KEYS.epoch, KEYS.leaderInfo, this.owner, String(this.ttlMs), String(Math.floor(floor)), info));
    if (epoch > 0) this.epoch = epoch;
    return epoch > 0;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 2, KEYS.leader, KEYS.leaderInfo, this.owner);
    this.epoch = 0;
  }

  /** Who leads now (from any process), or undefined. */
  static async current(redis: Redis): Promise<LeaderInfo | undefined> {
    const raw = await redis.get(KEYS.leaderInfo);
    if (!raw) return undefined;
    try {
      const v = JSON.parse(raw) as LeaderInfo;
      return typeof v.owner === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }
}

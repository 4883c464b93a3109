import type { Redis } from 'ioredis';
import { KEYS } from '@wattbroker/contracts';

/**
 * Leadership for schedulers: whoever holds `{wb}:leader` (SET NX PX) leads; acquiring it
 * bumps `{wb}:epoch`, which every command carries so agents can ignore an older leader
 * (fencing). Renewal is a compare-and-extend script, so a leader that lost the lease cannot
 * extend someone else's.
 */
const LEASE_KEY = KEYS.leader;
const EPOCH_KEY = KEYS.epoch;

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const ACQUIRE = `if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('incr', KEYS[2]) else return 0 end`;

export class LeaderLease {
  epoch = 0;

  constructor(
    private readonly redis: Redis,
    readonly owner: string,
    private readonly ttlMs = 3000,
  ) {}

  /** Try to become (or stay) leader. Returns true while leading. */
  async tick(): Promise<boolean> {
    if (this.epoch > 0) {
      const renewed = (await this.redis.eval(RENEW, 1, LEASE_KEY, this.owner, String(this.ttlMs))) as number;
      if (renewed === 1) return true;
      this.epoch = 0;
    }
    const epoch = (await this.redis.eval(ACQUIRE, 2, LEASE_KEY, EPOCH_KEY, this.owner, String(this.ttlMs))) as number;
    if (epoch > 0) this.epoch = epoch;
    return epoch > 0;
  }

  async release(): Promise<void> {
    await this.redis.eval(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`, 1, LEASE_KEY, this.owner);
    this.epoch = 0;
  }
}

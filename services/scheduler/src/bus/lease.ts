import { performance } from 'node:perf_hooks';
import { LeaderLease } from '@wattbroker/bus';
import type { Redis } from 'ioredis';
import type { Leadership } from '../ports.js';

/**
 * The leader lease with a local deadline: a renewal sent at t (monotonic clock) keeps this
 * process leading until t + TTL − margin, whatever Redis says later. A process paused past
 * that (GC, SIGSTOP, a slow disk) stops commanding before another can take over.
 */
export class LocalDeadlineLease implements Leadership {
  private readonly lease: LeaderLease;
  private deadline = 0;
  private leading = false;

  constructor(redis: Redis, owner: string, private readonly ttlMs = 3000, private readonly marginMs = 500) {
    this.lease = new LeaderLease(redis, owner, ttlMs);
  }

  get epoch(): number {
    return this.lease.epoch;
  }

  isLeading(): boolean {
    return this.leading && performance.now() < this.deadline;
  }

  async tick(): Promise<boolean> {
    const sent = performance.now();
    try {
      this.leading = await this.lease.tick();
    } catch (e) {
      this.leading = false;
      throw e;
    }
    if (this.leading) this.deadline = sent + this.ttlMs - this.marginMs;
    return this.leading;
  }

  async release(): Promise<void> {
    this.leading = false;
    await this.lease.release();
  }
}

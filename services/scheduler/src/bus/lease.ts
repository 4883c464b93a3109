import { performance } from 'node:perf_hooks';
import { LeaderLease, type LeaderInfo } from '@wattbroker/bus';
import type { Redis } from 'ioredis';
import type { Leadership } from '../ports.js';

/**
 * The leader lease with a local deadline: a renewal sent at t (monotonic clock) keeps this
 * process leading until t + TTL − margin, whatever Redis says later. A process paused past
 * that (GC, SIGSTOP, a slow disk) stops commanding before another can take over. A leader
 * told that someone holds a higher epoch (an agent answered `stale`, or reports a higher
 * epoch) steps down at once, and takes the lease again only with an epoch above it.
 */
export class LocalDeadlineLease implements Leadership {
  private readonly lease: LeaderLease;
  private deadline = 0;
  private leading = false;
  private floor = 0;

  constructor(private readonly redis: Redis, owner: string, info: { apiUrl?: string; pid?: number } = {}, private readonly ttlMs = 3000, private readonly marginMs = 500) {
    this.lease = new LeaderLease(redis, owner, ttlMs, info);
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
      this.leading = await this.lease.tick(this.floor);
    } catch (e) {
      this.leading = false;
      throw e;
    }
    if (this.leading) this.deadline = sent + this.ttlMs - this.marginMs;
    return this.leading;
  }

  async stepDown(aboveEpoch: number): Promise<void> {
    this.leading = false;
    this.floor = Math.max(this.floor, aboveEpoch + 1);
    await this.lease.release().catch(() => undefined);
  }

  async release(): Promise<void> {
    this.leading = false;
    await this.lease.release();
  }

  current(): Promise<LeaderInfo | undefined> {
    return LeaderLease.current(this.redis);
  }
}

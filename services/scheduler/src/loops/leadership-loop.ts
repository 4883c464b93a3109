import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { SchedulerEvents } from '../events.js';
import type { Leadership } from '../ports.js';

/**
 * Once a second: renew the lease (or try to take it), and say when this process starts or
 * stops leading. While leading it runs the leader's chores (re-reading grid events that any
 * process may add, keeping agents armed).
 */
export class LeadershipLoop {
  private leading = false;

  constructor(private readonly d: {
    lease: Leadership;
    events: EventEmitter<SchedulerEvents>;
    log: Logger;
    onGain(): Promise<void> | void;
    onLose(): void;
    whileLeading(): Promise<void>;
  }) {}

  get isLeading(): boolean {
    return this.leading;
  }

  async tick(): Promise<void> {
    const { lease, events, log } = this.d;
    const was = this.leading;
    try {
      this.leading = await lease.tick();
    } catch (e) {
      this.leading = false;
      log.error({ err: (e as Error).message }, 'leader lease check failed');
    }
    if (this.leading && !was) {
      log.info({ epoch: lease.epoch }, 'leading');
      await this.d.onGain();
      events.emit('leader', { epoch: lease.epoch });
    } else if (!this.leading && was) {
      log.warn('lost leadership');
      this.d.onLose();
      events.emit('follower', { reason: 'lease lost' });
    }
    if (this.leading) await this.d.whileLeading();
  }
}

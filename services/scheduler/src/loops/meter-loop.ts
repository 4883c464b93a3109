import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Controller } from '@wattbroker/core';
import type { ModbusMeter } from '@wattbroker/drivers';
import type { SchedulerEvents } from '../events.js';
import type { Clock, Leadership } from '../ports.js';

/** Failures are logged at most this often (a dead meter must not flood the log). */
const LOG_EVERY_MS = 60_000;

/**
 * Once a second the leader reads the site meter at the point of connection and folds the
 * reading into the core: the cap is then held on the larger of metered and modelled power,
 * and the model learns what it misses. A meter that fails leaves the model alone in charge
 * (its readings go stale); the failure is logged and counted.
 */
export class MeterLoop {
  private reading = false;
  private lastLogged = 0;
  failures = 0;

  constructor(private readonly d: { meter: ModbusMeter; controller: Controller; clock: Clock; leadership: Leadership; events: EventEmitter<SchedulerEvents>; log: Logger }) {}

  async tick(): Promise<void> {
    if (this.reading || !this.d.leadership.isLeading()) return;
    this.reading = true;
    try {
      const r = await this.d.meter.read();
      this.d.controller.meter({ powerW: r.powerW, at: this.d.clock.now() });
    } catch (e) {
      this.failures++;
      const now = this.d.clock.now();
      if (now - this.lastLogged >= LOG_EVERY_MS) {
        this.lastLogged = now;
        this.d.log.warn({ err: (e as Error).message, failures: this.failures, meter: this.d.meter.address }, 'site meter not read; the model alone holds the cap');
      }
      this.d.events.emit('failure', { where: 'meter', message: (e as Error).message, error: e });
    } finally {
      this.reading = false;
    }
  }

  close(): void {
    void this.d.meter.close();
  }
}

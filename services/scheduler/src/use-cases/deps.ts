import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Controller } from '@wattbroker/core';
import type { SchedulerEvents } from '../events.js';
import type { ControlLoop } from '../loops/control-loop.js';
import type { Clock, SiteStore } from '../ports.js';

/** What every use case works with: the core, the store, the clock, and the loop to wake. */
export interface UseCaseDeps {
  readonly controller: Controller;
  readonly store: SiteStore;
  readonly clock: Clock;
  readonly loop: ControlLoop;
  readonly events: EventEmitter<SchedulerEvents>;
  readonly log: Logger;
}

import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Controller } from '@wattbroker/core';
import type { SchedulerEvents } from '../events.js';
import type { Clock, Leadership, SiteStore } from '../ports.js';

/** Once a second the leader records a site sample (the ledger that reports and proofs are built from). */
export async function recordSample(d: { controller: Controller; clock: Clock; store: SiteStore; leadership: Leadership; events: EventEmitter<SchedulerEvents>; log: Logger }): Promise<void> {
  if (!d.leadership.isLeading()) return;
  const s = d.controller.sample(d.clock.now());
  try {
    await d.store.appendSample(s);
  } catch (e) {
    d.log.warn({ err: (e as Error).message }, 'sample not recorded');
  }
  d.events.emit('sample', s);
}

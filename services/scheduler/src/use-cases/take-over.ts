import type { Logger } from 'pino';
import type { Controller } from '@wattbroker/core';
import type { Clock, CommandSink, SiteStore } from '../ports.js';
import { loadSite } from './load-site.js';

/**
 * What a scheduler does when it takes the lead, before its first step: forget what it held,
 * load the site from Redis (contract, priorities, overrides, prices, grid events,
 * registrations, jobs), and send every host its new epoch in a command that changes nothing,
 * so that no host keeps obeying the old leader.
 */
export async function takeOver(d: {
  store: SiteStore; controller: Controller; sink: CommandSink; epoch: number; clock: Clock; log: Logger;
  defaults: { capW: number; marginW: number; hashpricePerThDay?: number };
}): Promise<void> {
  d.controller.reset();
  await loadSite(d.store, d.controller, d.defaults);
  const now = d.clock.now();
  const hosts = [...d.controller.state.hosts.keys()];
  await Promise.all(hosts.map((hostId) => d.sink.send({ commandId: `epoch-${d.epoch.toString(36)}-${hostId}`.slice(0, 128), hostId, epoch: d.epoch, issuedAt: now, devices: {} })));
  d.log.info({ epoch: d.epoch, hosts: hosts.length, jobs: d.controller.state.jobs.size }, 'took over: site loaded from Redis, every host told the new epoch');
}

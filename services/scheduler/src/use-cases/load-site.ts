import type { Controller } from '@wattbroker/core';
import type { SiteStore } from '../ports.js';

/**
 * Everything the site keeps, from the store into the core: what a scheduler does before its
 * first step (at start and when it takes over as leader). Registrations come in with no
 * heartbeat yet, so their hosts count as silent (devices at their maximum) until telemetry.
 */
export async function loadSite(store: SiteStore, controller: Controller, defaults: { capW: number; marginW: number; hashpricePerThDay?: number }): Promise<void> {
  const contract = await store.contract();
  if (contract) controller.setContract(contract);
  else {
    await store.saveContract({ capW: defaults.capW, marginW: defaults.marginW });
    controller.setContract({ capW: defaults.capW, marginW: defaults.marginW });
  }
  controller.setGridEvents(await store.gridEvents());
  controller.setEnergyPrice(await store.energyPrice());
  controller.setHashprice((await store.hashprice()) ?? defaults.hashpricePerThDay);
  const priorities = await store.priorities();
  if (priorities) controller.setPriorities(priorities);
  for (const [id, o] of await store.overrides()) controller.setOverride(id, o);
  for (const r of await store.registrations()) controller.register(r, 0);
  for (const j of await store.activeJobs()) controller.addJob(j);
}

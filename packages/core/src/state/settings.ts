import type { ContractRecord, DeviceOverride, GridEventRecord, PriorityClass } from '@wattbroker/contracts';
import type { SiteState } from './site-state.js';

/** Reducers for what operators (and the grid) set. Each is validated before it gets here. */

export function setContract(state: SiteState, c: ContractRecord): void {
  state.contract = { ...c };
}

export function setPriorities(state: SiteState, list: readonly PriorityClass[]): void {
  state.priorities = [...list];
  state.fleetVersion++;
}

/** Operator overrides on a miner; an empty override clears them. */
export function setOverride(state: SiteState, id: string, o: DeviceOverride): void {
  if (o.pinnedProfile === undefined && !o.maintenance) state.overrides.delete(id);
  else state.overrides.set(id, { ...o });
  state.fleetVersion++;
}

export function setGridEvents(state: SiteState, events: readonly GridEventRecord[]): void {
  state.gridEvents = [...events].sort((a, b) => a.startsAt - b.startsAt);
}

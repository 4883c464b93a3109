import type { DeviceOverride, FieldIssue, PriorityClass } from '@wattbroker/contracts';
import type { SiteState } from '../state/site-state.js';

/**
 * Checks of operators' settings against the site as it is (the schemas have checked the
 * form): the field at fault and why, or undefined when the setting can be taken.
 */
export function prioritiesRefusal(state: SiteState, list: readonly PriorityClass[]): FieldIssue | undefined {
  const minKw = list.reduce((sum, c) => sum + (c.minKw ?? 0), 0);
  const capKw = (state.contract.capW - state.contract.marginW) / 1000;
  if (minKw > capKw) return { field: 'minKw', message: `the class minimums add up to ${minKw} kW, above the ${capKw} kW the contract allows` };
  // A floor its own miners cannot reach even flat out (once they have all registered).
  for (const [i, c] of list.entries()) {
    if (!c.miners || !c.minKw) continue;
    const devices = c.miners.map((m) => state.devices.get(m));
    if (devices.some((d) => d === undefined)) continue;
    const maxKw = devices.reduce((sum, d) => sum + (d!.inv.kind === 'asic' ? d!.maxRowW : 0), 0) / 1000;
    if (c.minKw > maxKw) return { field: `[${i}].minKw`, message: `a floor of ${c.minKw} kW, but the ${c.miners.length} miners of ${c.name} draw at most ${maxKw.toFixed(1)} kW` };
  }
  return undefined;
}

/** An override for a device that exists (the caller answers 404 otherwise). */
export function overrideRefusal(state: SiteState, id: string, o: DeviceOverride): FieldIssue | undefined {
  const d = state.devices.get(id);
  if (!d) return { field: 'id', message: `no device "${id}"` };
  if (d.inv.kind !== 'asic') return { field: 'id', message: 'overrides apply to miners only' };
  if (o.pinnedProfile !== undefined && !d.rowW.has(o.pinnedProfile)) return { field: 'pinnedProfile', message: `"${o.pinnedProfile}" is not one of ${id}'s profiles` };
  return undefined;
}

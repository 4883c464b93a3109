import type { Registration } from '@wattbroker/contracts';
import { DEFAULT_BIAS, readingRow, rowsOf } from './device-draws.js';
import type { SiteState } from './site-state.js';

/** What a registration changes for the planner: the profile table (or the GPU's limit range). */
function tableSignature(inv: Registration['devices'][number]): string {
  return inv.kind === 'asic' ? inv.profiles.map((p) => `${p.name}=${p.powerW}`).join(',') : `${inv.minLimitW}-${inv.maxLimitW}`;
}

/**
 * Devices a registration names that another host still lists as its own: a host may not take
 * over another's devices (a compromised agent would then be sent their commands and speak for
 * them). A device moves only once its old host's registration no longer lists it.
 */
export function devicesOfOtherHosts(state: SiteState, r: Registration): string[] {
  return r.devices.map((d) => d.id).filter((id) => {
    const owner = state.devices.get(id)?.hostId;
    return owner !== undefined && owner !== r.hostId && (state.hosts.get(owner)?.deviceIds.includes(id) ?? false);
  });
}

/**
 * Reducer: a host's inventory. Agents re-register every 30 s; only a new device, a moved
 * device or a changed table makes the planner rebuild.
 */
export function register(state: SiteState, r: Registration, now: number): void {
  const host = state.hosts.get(r.hostId);
  if (host) {
    host.kind = r.kind;
    host.overheadW = r.hostOverheadW;
    host.deviceIds = r.devices.map((d) => d.id);
  } else {
    state.hosts.set(r.hostId, { id: r.hostId, kind: r.kind, overheadW: r.hostOverheadW, lastSeen: now, deviceIds: r.devices.map((d) => d.id) });
  }
  for (const inv of r.devices) {
    const d = state.devices.get(inv.id);
    if (d) {
      if (d.hostId !== r.hostId || tableSignature(d.inv) !== tableSignature(inv)) state.fleetVersion++;
      Object.assign(d, { inv, hostId: r.hostId }, rowsOf(inv));
      d.readingRowW = readingRow(d);
      state.touched.add(d);
      continue;
    }
    const fresh = {
      id: inv.id, hostId: r.hostId, inv, ...rowsOf(inv), reading: undefined, readingRowW: 0, readingAt: 0, desired: undefined, commandId: undefined,
      sentAt: 0, changedAt: 0, appliedAt: 0, peakW: 0, resends: 0, offTargetSince: undefined, bias: DEFAULT_BIAS, plannedBias: DEFAULT_BIAS,
    };
    state.devices.set(inv.id, fresh);
    state.deviceList.push(fresh);
    state.fleetVersion++;
  }
}

import type { DeviceInventory } from '@wattbroker/contracts';
import type { DeviceState } from './site-state.js';

/** A sleeping miner at or below this draw has finished powering down. */
export const SLEEP_CONFIRM_W = 100;
/** Real draw ÷ table estimate assumed for a miner before telemetry has taught us its own. */
export const DEFAULT_BIAS = 1.1;
/** A miner's worst case is its table's top row plus this (silicon lottery: up to +10 %). */
const MAX_OVER_TABLE = 1.1;

/** What a registration tells about draws: profile → table W, and the extremes. */
export function rowsOf(inv: DeviceInventory): Pick<DeviceState, 'rowW' | 'minRowW' | 'maxRowW'> {
  if (inv.kind !== 'asic') return { rowW: new Map(), minRowW: inv.minLimitW, maxRowW: inv.maxLimitW };
  const rowW = new Map(inv.profiles.map((p) => [p.name, p.powerW]));
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const w of rowW.values()) {
    if (w < min) min = w;
    if (w > max) max = w;
  }
  return { rowW, minRowW: min, maxRowW: max };
}

/** The most a device can draw: a GPU at its top limit, a miner at its top row with the lottery. */
export function maxW(d: DeviceState): number {
  return d.inv.kind === 'gpu' ? d.inv.maxLimitW : d.maxRowW * MAX_OVER_TABLE;
}

/** Expected draw of a miner at `profile` (table × learned bias); an unknown profile counts at the maximum. */
export function estimateW(d: DeviceState, profile: string, bias = d.bias): number {
  if (d.inv.kind !== 'asic') return 0;
  if (profile === 'sleep') return d.inv.sleepW;
  const row = d.rowW.get(profile);
  return row !== undefined ? row * bias : maxW(d);
}

/** The reading shows the desired state. */
export function reached(d: DeviceState): boolean {
  const r = d.reading;
  const want = d.desired;
  if (!r || !want || !r.reachable) return false;
  if (want.kind === 'gpu') return r.powerLimitW === want.powerLimitW;
  if (want.profile === 'sleep') return r.sleeping === true && r.powerW <= SLEEP_CONFIRM_W;
  return r.profile === want.profile && r.ramping !== true && r.sleeping !== true;
}

/**
 * The reading shows the device on its way to the target on its own: LuxOS shows a new
 * profile at once and then ramps (or boots, when waking); a miner put to sleep powers down.
 */
export function heading(d: DeviceState): boolean {
  const r = d.reading;
  const want = d.desired;
  if (!r || !want || want.kind !== 'asic') return false;
  return want.profile === 'sleep' ? r.sleeping === true : r.profile === want.profile;
}

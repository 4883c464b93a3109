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

/** The table row (W) of the profile `d.reading` shows, 0 for none (what `readingRowW` holds: set it whenever the reading or the table changes). */
export function readingRow(d: Pick<DeviceState, 'reading' | 'rowW'>): number {
  const profile = d.reading?.profile;
  return profile === undefined ? 0 : (d.rowW.get(profile) ?? 0);
}

/** Real draw ÷ table estimate as the latest settled reading shows it (a learned bias may lag a change). */
function observedBias(d: DeviceState): number {
  const r = d.reading;
  if (!r?.reachable || r.ramping || r.sleeping || r.profile === undefined) return 0;
  const row = d.readingRowW;
  return row ? r.powerW / row : 0;
}

/**
 * What a miner will draw at `profile`, for the cap's worst-case accounting: the table row
 * times the higher of its learned bias and the bias its latest settled reading shows (a miner
 * whose draw drifted up is not assumed to draw less at a higher profile); an unknown profile
 * counts at the maximum.
 */
export function estimateW(d: DeviceState, profile: string): number {
  if (d.inv.kind !== 'asic') return 0;
  if (profile === 'sleep') return d.inv.sleepW;
  const row = d.rowW.get(profile);
  return row !== undefined ? row * Math.max(d.bias, observedBias(d)) : maxW(d);
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
 * The reading was taken after the agent applied the command that carries the current target:
 * it names that command, or (from an agent that does not name commands) it arrived after the
 * agent reported the command applied. An older reading cannot confirm a newer target (a
 * device shed right after a raise may still be at the raised level).
 */
export function readingIsCurrent(d: DeviceState): boolean {
  const r = d.reading;
  if (!r || d.commandId === undefined) return true; // a target adopted from a reading, never sent
  if (r.appliedCommandId !== undefined) return r.appliedCommandId === d.commandId;
  return d.appliedAt >= d.sentAt && d.readingAt > d.appliedAt;
}

/** The device shows its target in a reading taken after the target was applied. */
export function confirmed(d: DeviceState): boolean {
  return reached(d) && readingIsCurrent(d);
}

/**
 * The reading shows the device on its way to the target on its own: LuxOS shows a new
 * profile at once and then ramps (or boots, when waking); a miner put to sleep powers down.
 */
export function heading(d: DeviceState): boolean {
  const r = d.reading;
  const want = d.desired;
  if (!r || !want || want.kind !== 'asic') return false;
  return want.profile === 'sleep' ? r.sleeping === true && r.waking !== true : r.profile === want.profile;
}

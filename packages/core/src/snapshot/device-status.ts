import type { DeviceOverride, DeviceStatus } from '@wattbroker/contracts';
import type { ReconcilePolicy } from '../policy/policy.js';
import { confirmed, estimateW, heading, maxW } from '../state/device-draws.js';
import type { DeviceState } from '../state/site-state.js';

/** Device statuses as small numbers (snapshots keep one byte per device). */
export const STATUS: readonly DeviceStatus[] = ['unknown', 'silent', 'unreachable', 'idle', 'on-target', 'in-transition', 'off-target', 'disobedient', 'maintenance'];
export const UNKNOWN = 0;
export const SILENT = 1;
export const UNREACHABLE = 2;
export const IDLE = 3;
export const ON_TARGET = 4;
export const IN_TRANSITION = 5;
export const OFF_TARGET = 6;
export const DISOBEDIENT = 7;
export const MAINTENANCE = 8;

/**
 * A device not showing its target may still be getting there: its command is still with the
 * agent, it was applied less than a grace period ago, or it visibly heads for the target
 * (ramping, waking, powering down), for a bounded time.
 */
export function gettingThere(d: DeviceState, rc: ReconcilePolicy, now: number): boolean {
  const since = Math.max(d.sentAt, d.appliedAt);
  const withAgent = d.appliedAt < d.sentAt && now - d.sentAt < rc.resultTimeoutMs;
  // A reading taken after the agent applied the latest command needs no grace; one that
  // cannot say (older agents) may lag the write by a little.
  const fresh = d.commandId !== undefined && d.reading?.appliedCommandId === d.commandId;
  return withAgent || (!fresh && now - since < rc.graceMs) || (heading(d) && now - since < rc.transitionMaxMs);
}

/**
 * How a device stands against its target, from its latest reading (level-triggered: the
 * reading is compared with the target every step, whatever was sent before). A device that
 * does not show its target and is not getting there is off target; once re-commanded it
 * stays off target (being corrected) until a reading shows the target, and after repeated
 * re-commands it is disobedient.
 */
export function deviceStatus(d: DeviceState, hostLive: boolean, override: DeviceOverride | undefined, rc: ReconcilePolicy, now: number): number {
  if (!hostLive) return SILENT;
  const r = d.reading;
  if (!r) return UNKNOWN;
  if (!r.reachable) return UNREACHABLE;
  if (d.inv.kind === 'asic' && override?.maintenance) return MAINTENANCE;
  if (!d.desired) return IDLE;
  if (confirmed(d)) return ON_TARGET;
  if (d.resends > 0) return d.resends >= rc.disobedientAfter ? DISOBEDIENT : OFF_TARGET;
  return gettingThere(d, rc, now) ? IN_TRANSITION : OFF_TARGET;
}

/**
 * What the cap accounting counts a device at (DESIGN rule 1, docs/design.md): its maximum when
 * there is no usable reading; what it draws when on target; in transition or off target the
 * highest of what it draws, what its target draws, what the profile it is ramping to draws,
 * and what any target commanded since it last confirmed one draws.
 * GPUs: the higher of the limit on the card, the limit being set, and the draw.
 */
export function worstCaseW(d: DeviceState, status: number): number {
  if (status === SILENT || status === UNKNOWN || status === UNREACHABLE) return maxW(d);
  const r = d.reading!;
  const settled = status === ON_TARGET || status === IDLE || status === MAINTENANCE;
  if (d.inv.kind === 'gpu') {
    const limit = r.powerLimitW ?? d.inv.maxLimitW;
    const want = !settled && d.desired?.kind === 'gpu' ? d.desired.powerLimitW : 0;
    return Math.max(limit, want, r.powerW, settled ? 0 : d.peakW);
  }
  const moving = r.ramping === true && r.profile !== undefined ? estimateW(d, r.profile) : 0;
  if (settled) return Math.max(r.powerW, moving);
  const target = d.desired?.kind === 'asic' ? estimateW(d, d.desired.profile) : 0;
  return Math.max(r.powerW, target, moving, d.peakW);
}

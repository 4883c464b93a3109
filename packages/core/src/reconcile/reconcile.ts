import type { Policy } from '../policy/policy.js';
import { DISOBEDIENT, OFF_TARGET, gettingThere } from '../snapshot/device-status.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { DeviceState, SiteState } from '../state/site-state.js';

export interface OffTarget {
  readonly id: string;
  readonly status: 'off-target' | 'disobedient';
  readonly reason: string;
}

export interface Reconciliation {
  /** Devices to command again with the target they already have. */
  readonly resend: readonly string[];
  readonly offTarget: readonly OffTarget[];
}

/** Wait before the k-th re-command (k ≥ 1): none for the first, then base, 2·base, … up to max. */
export function resendBackoffMs(resends: number, policy: Policy): number {
  if (resends <= 0) return 0;
  return Math.min(policy.reconcile.backoffMaxMs, policy.reconcile.backoffBaseMs * 2 ** (resends - 1));
}

function describe(d: DeviceState): string {
  const r = d.reading!;
  const want = d.desired!;
  if (want.kind === 'gpu') return `power limit ${r.powerLimitW ?? '?'} W instead of ${want.powerLimitW} W`;
  const shown = r.sleeping ? 'asleep' : `${r.profile ?? '?'}${r.ramping ? ' (ramping)' : ''}`;
  return `${shown} at ${Math.round(r.powerW)} W instead of ${want.profile}`;
}

/**
 * Level-triggered reconciliation: every device whose settled reading is off its target (a
 * firmware reset, a technician, a lost command) is commanded again at once, then with a
 * bounded back-off while it stays off. Meanwhile the snapshot budgets it at what it draws
 * and the planner plans the rest of the site around it. After `disobedientAfter` re-commands
 * it is reported as disobedient (and still re-commanded, at the longest back-off).
 */
export function reconcile(snap: Snapshot, state: SiteState, policy: Policy): Reconciliation {
  const resend: string[] = [];
  const offTarget: OffTarget[] = [];
  const now = snap.now;
  state.deviceList.forEach((d, i) => {
    const s = snap.status[i];
    if (s !== OFF_TARGET && s !== DISOBEDIENT) return;
    // Commanded again at once; after that only once the last command has had its chance
    // (applied, grace passed, not visibly on its way) and the back-off has run out.
    const wait = resendBackoffMs(d.resends, policy);
    const due = d.resends === 0 || (!gettingThere(d, policy.reconcile, now) && now - d.sentAt >= wait);
    if (due) resend.push(d.id);
    const since = d.offTargetSince ?? now;
    const next = due ? resendBackoffMs(d.resends + 1, policy) : Math.max(0, wait - (now - d.sentAt));
    offTarget.push({
      id: d.id,
      status: s === DISOBEDIENT ? 'disobedient' : 'off-target',
      reason: `${describe(d)} for ${((now - since) / 1000).toFixed(1)} s; re-commanded ${d.resends + (due ? 1 : 0)}×, next in ${(next / 1000).toFixed(1)} s; budgeted at ${Math.round(snap.worstW[i]!)} W meanwhile`,
    });
  });
  return { resend, offTarget };
}

import type { GridEventRecord } from '@wattbroker/contracts';
import { effectiveCap, itBudgetW, type CapBreakdown, type CoolingModel } from '../site/site-model.js';

/**
 * Grid caps in force at `now`. The obligation holds from an event's start; the site *plans*
 * to it earlier: its level from `preShedMs` before the start, reached by a linear ramp over
 * `rampMs` before that (from the contract), so that it complies when the event starts.
 */
export function gridCapsAt(events: readonly GridEventRecord[], contractCapW: number, now: number, planning: boolean, preShedMs: number): number[] {
  const out: number[] = [];
  for (const g of events) {
    if (now >= g.endsAt) continue;
    if (!planning) {
      if (now >= g.startsAt) out.push(g.capW);
      continue;
    }
    const full = g.startsAt - preShedMs;
    const rampStart = full - (g.rampMs ?? 0);
    if (now >= full) out.push(g.capW);
    else if (now > rampStart) {
      const f = (now - rampStart) / (full - rampStart);
      out.push(contractCapW - f * (contractCapW - g.capW));
    }
  }
  return out;
}

export interface Budget {
  readonly cap: CapBreakdown;
  /** The IT load (devices and host chassis) the cap leaves after cooling. */
  readonly itBudgetW: number;
}

/** The cap the site plans to (`planning`: events ahead included), or the one it must keep now. */
export function budgetAt(
  site: { contract: { capW: number; marginW: number }; cooling: CoolingModel; gridEvents: readonly GridEventRecord[] },
  now: number, planning: boolean, preShedMs: number,
): Budget {
  const caps = gridCapsAt(site.gridEvents, site.contract.capW, now, planning, preShedMs);
  const cap = effectiveCap({ contractCapW: site.contract.capW, safetyMarginW: site.contract.marginW, cooling: site.cooling, zones: [] }, caps);
  return { cap, itBudgetW: itBudgetW(site.cooling, cap.effectiveCapW) };
}

/** Times after `now` at which the planned cap changes (event boundaries and ramp ends), ascending. */
export function capChanges(events: readonly GridEventRecord[], now: number, preShedMs: number): number[] {
  const out = new Set<number>();
  for (const g of events) {
    for (const t of [g.startsAt - preShedMs, g.endsAt]) if (t > now) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

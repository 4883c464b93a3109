/**
 * Turning a plan into ordered steps that are safe at every instant (DESIGN rules 1 and 2).
 *
 * A device in transition is counted at max(current, target) until telemetry confirms it, so
 * a step's worst case is: devices of earlier steps at their target (confirmed before this
 * step starts), devices of this step at max(current, target), the rest at their current
 * reading. Sheds all go first, in one step: compliance is urgent and a shed can only lower
 * power. Raises follow in steps that each keep the worst case within the budget; wakes from
 * sleep are staggered (inrush, and hashboard wear) and GPUs go before miners, because an
 * admitted job is what the shed was for.
 */
export interface DeviceChange {
  readonly id: string;
  readonly currentW: number;
  readonly targetW: number;
  /** Raising from sleep: counts against the per-step wake limit. */
  readonly wake?: boolean;
  /** Lower numbers raise first (e.g. 0 for GPUs, 1 for miners). */
  readonly raiseOrder?: number;
}

export interface TransitionStep {
  readonly kind: 'shed' | 'raise';
  readonly ids: readonly string[];
  /** Highest power the site can draw while this step is in flight. */
  readonly worstCaseW: number;
}

export interface TransitionPlan {
  readonly steps: readonly TransitionStep[];
  /** Raises that would have broken the budget, left for the next plan. */
  readonly deferred: readonly string[];
  /** Power once every step is confirmed. */
  readonly finalW: number;
}

export interface TransitionOptions {
  readonly budgetW: number;
  /** Power of everything not in `changes` (other devices, overhead). */
  readonly otherW?: number;
  /** At most this many wakes per raise step. */
  readonly maxWakesPerStep?: number;
  /** At most this many devices per raise step. */
  readonly maxRaisesPerStep?: number;
}

export function planTransitions(changes: readonly DeviceChange[], opts: TransitionOptions): TransitionPlan {
  const sheds = changes.filter((c) => c.targetW < c.currentW);
  const raises = changes
    .filter((c) => c.targetW > c.currentW)
    .sort((a, b) => (a.raiseOrder ?? 1) - (b.raiseOrder ?? 1) || a.targetW - a.currentW - (b.targetW - b.currentW));
  const maxWakes = opts.maxWakesPerStep ?? Number.POSITIVE_INFINITY;
  const maxRaises = opts.maxRaisesPerStep ?? Number.POSITIVE_INFINITY;

  // Confirmed level of the site as steps complete.
  let levelW = (opts.otherW ?? 0) + changes.reduce((s, c) => s + c.currentW, 0);
  const steps: TransitionStep[] = [];
  if (sheds.length > 0) {
    // A shed device is at most its current draw while it ramps down.
    steps.push({ kind: 'shed', ids: sheds.map((c) => c.id), worstCaseW: levelW });
    levelW -= sheds.reduce((s, c) => s + (c.currentW - c.targetW), 0);
  }
  const deferred: string[] = [];
  let pending = raises;
  while (pending.length > 0) {
    const ids: string[] = [];
    let wakes = 0;
    let stepW = levelW;
    const next: DeviceChange[] = [];
    for (const c of pending) {
      const add = c.targetW - c.currentW;
      const full = ids.length >= maxRaises || (c.wake === true && wakes >= maxWakes);
      if (full) next.push(c);
      else if (stepW + add > opts.budgetW) deferred.push(c.id);
      else {
        ids.push(c.id);
        stepW += add;
        if (c.wake) wakes++;
      }
    }
    if (ids.length === 0) {
      deferred.push(...next.map((c) => c.id));
      break;
    }
    steps.push({ kind: 'raise', ids, worstCaseW: stepW });
    levelW = stepW;
    pending = next;
  }
  return { steps, deferred, finalW: levelW };
}

/**
 * Break before make (DESIGN rules 1 and 2 in docs/design.md): the one place that orders a
 * plan's changes so that the site stays within its budget at every instant.
 *
 * A device in transition counts at max(current, target) until telemetry confirms it. Sheds
 * go at once, all of them, in the first step: compliance is urgent and a shed can only lower
 * power. A raise may join the first step only if it fits with the sheds still drawing what
 * they draw now; every later step assumes the steps before it confirmed. Raises go in
 * `raiseOrder` (GPUs of admitted jobs first: they are what the shed was for), a group (one
 * job's GPUs) all together or not at all, with at most so many wakes from sleep per step
 * (inrush, hashboard wear). A `reserve` raise that does not fit keeps its power for the rest
 * of the step, so a smaller raise behind it cannot take what a waiting job was shed for.
 *
 * The control step issues `steps[0]` and plans again once telemetry confirms it.
 */
export interface DeviceChange {
  readonly id: string;
  /** What the device is budgeted at now, and at its target. */
  readonly currentW: number;
  readonly targetW: number;
  /** Raising from sleep: counts against the per-step wake limit. */
  readonly wake?: boolean;
  /** Lower numbers raise first (e.g. 0 for GPUs, 1 for miners). */
  readonly raiseOrder?: number;
  /** Changes with the same group go in the same step or not at all. */
  readonly group?: string;
  /** When deferred, still holds its power against later raises of the same step. */
  readonly reserve?: boolean;
  /**
   * A raise even if its worst case does not grow: a device moved to a higher profile while it
   * is still counted at a higher transient draw (ramping down from an earlier target). It
   * goes only when the level it joins is within the budget, like every raise.
   */
  readonly raise?: boolean;
}

export interface TransitionStep {
  readonly shed: readonly string[];
  readonly raise: readonly string[];
  /** Highest power the site can draw while this step is in flight. */
  readonly worstCaseW: number;
}

export interface TransitionPlan {
  readonly steps: readonly TransitionStep[];
  /** Raises that would have broken the budget, left for a later plan. */
  readonly deferred: readonly string[];
  /** Power once every step is confirmed. */
  readonly finalW: number;
}

export interface TransitionOptions {
  readonly budgetW: number;
  /** Power of everything not in `changes` (other devices, overhead). */
  readonly otherW?: number;
  /** At most this many wakes per step. */
  readonly maxWakesPerStep?: number;
  /** At most this many raises (groups count once) per step. */
  readonly maxRaisesPerStep?: number;
  /** Budget for `reserve` raises (GPU job starts), when they may go above `budgetW` (default: `budgetW`). */
  readonly reserveBudgetW?: number;
}

interface RaiseUnit {
  readonly ids: string[];
  /** Worst-case rise while in flight (members going down count at their current draw). */
  addW: number;
  /** What members going down release once confirmed. */
  releaseW: number;
  wakes: number;
  readonly order: number;
  readonly reserve: boolean;
}

function raiseUnits(raises: readonly DeviceChange[]): RaiseUnit[] {
  const byGroup = new Map<string, RaiseUnit>();
  const units: RaiseUnit[] = [];
  for (const c of raises) {
    const key = c.group;
    let u = key === undefined ? undefined : byGroup.get(key);
    if (!u) {
      u = { ids: [], addW: 0, releaseW: 0, wakes: 0, order: c.raiseOrder ?? 1, reserve: c.reserve === true };
      units.push(u);
      if (key !== undefined) byGroup.set(key, u);
    }
    u.ids.push(c.id);
    u.addW += Math.max(0, c.targetW - c.currentW);
    u.releaseW += Math.max(0, c.currentW - c.targetW);
    if (c.wake) u.wakes++;
  }
  // Stable: by raise order, then the smaller raise first (more of them fit).
  return units.sort((a, b) => a.order - b.order || a.addW - b.addW);
}

const isRaise = (c: DeviceChange) => c.raise ?? c.targetW > c.currentW;

export function planTransitions(changes: readonly DeviceChange[], opts: TransitionOptions): TransitionPlan {
  const sheds = changes.filter((c) => !isRaise(c) && c.targetW < c.currentW);
  // A group moves as one: a group with any raise is raised together (its sheds, if any, too).
  const grouped = new Set(changes.filter((c) => c.group !== undefined && isRaise(c)).map((c) => c.group));
  const shedNow = sheds.filter((c) => c.group === undefined || !grouped.has(c.group));
  let pending = raiseUnits(changes.filter((c) => isRaise(c) || (c.group !== undefined && grouped.has(c.group))));
  const maxWakes = opts.maxWakesPerStep ?? Number.POSITIVE_INFINITY;
  const maxRaises = opts.maxRaisesPerStep ?? Number.POSITIVE_INFINITY;

  // Confirmed level of the site as steps complete.
  let levelW = (opts.otherW ?? 0) + changes.reduce((s, c) => s + c.currentW, 0);
  const steps: TransitionStep[] = [];
  const deferred: string[] = [];
  let first = true;
  while (first || pending.length > 0) {
    const raise: string[] = [];
    let stepW = levelW;
    let heldW = 0;
    let wakes = 0;
    let raised = 0;
    let releasedW = 0;
    const next: RaiseUnit[] = [];
    for (const u of pending) {
      const full = raised >= maxRaises || (u.wakes > 0 && wakes + u.wakes > maxWakes);
      if (full) next.push(u);
      else if (stepW + heldW + u.addW > (u.reserve ? (opts.reserveBudgetW ?? opts.budgetW) : opts.budgetW)) {
        next.push(u);
        if (u.reserve) heldW += Math.max(0, u.addW);
      } else {
        raise.push(...u.ids);
        stepW += u.addW;
        releasedW += u.releaseW;
        wakes += u.wakes;
        raised++;
      }
    }
    const shed = first ? shedNow.map((c) => c.id) : [];
    // A step that moves nothing ends the plan: levels only fall with sheds, which all went
    // first, so what is left will not fit later either.
    if (shed.length === 0 && raise.length === 0) {
      deferred.push(...next.flatMap((u) => u.ids));
      break;
    }
    steps.push({ shed, raise, worstCaseW: stepW });
    levelW = stepW - releasedW - (first ? shedNow.reduce((s, c) => s + (c.currentW - c.targetW), 0) : 0);
    pending = next;
    first = false;
  }
  return { steps, deferred, finalW: levelW };
}

import type { PlanMiner, PlanOption } from '../planner/planner.js';
import { below, headings } from './miner-headings.js';

export { hullOf } from './miner-headings.js';

/**
 * Fewest moves: follow a changing budget by moving as few miners as possible, instead of
 * re-planning the whole fleet from scratch.
 *
 * The planner (planner/solve.ts) is stateless: for each budget it returns the fleet's best
 * hashrate. When the budget moves by a GPU job's power (0.5–4 kW) it moves the miners at the
 * margin one hull step each — on a fleet of similar miners, five to fifteen of them, and as
 * many again when the job ends. Each is a profile transition (a LuxOS `profileset`, a few
 * seconds of ramp, wear). This hook starts from where the miners are heading now and:
 * - when they plan above the budget, sheds with the single move (one miner, one or more hull
 *   steps down, or to sleep) that releases enough with the least to spare; if none releases
 *   enough, the largest move and again;
 * - when the budget leaves more than `deadbandFraction` of it unused (up to what the
 *   planner's answer draws), raises with the move that uses most of it without going over
 *   (at most `maxRaises` moves per step; miners still within their dwell are not raised, and
 *   are counted so that the caller knows a raise waits on the dwell);
 * - when the budget moved by more than `wholeFraction` of it (a grid event, a new contract:
 *   most miners move anyway), takes the planner's answer whole;
 * - when, after a move (or with more than a tenth of the miners off the planner's answer),
 *   the miners' hashrate is more than `driftFraction` below what the planner gets from the
 *   same power, takes the planner's answer whole (a rebalance).
 * Moves land only on hull profiles (the ones the planner would use). The budget is never
 * exceeded: sheds go until the plan fits, or the planner's answer is taken. What it costs:
 * power left unused up to the dead band, and hashrate up to the drift bound.
 *
 * Not used (the planner's answer stands) while ASIC classes with floors or maximums are in
 * force, under the price stop, or when the planner's answer is infeasible: those bind per
 * miner in ways a single move cannot see.
 */
export interface MovesPolicy {
  readonly mode: 'optimal' | 'fewest';
  /** Unused budget (share of the miners' budget) below which nothing is raised. */
  readonly deadbandFraction: number;
  /** Hashrate below the planner's (share of it) at which the planner's answer is taken whole. */
  readonly driftFraction: number;
  /** Raising moves per step. */
  readonly maxRaises: number;
  /** A budget this far (share of it) from what the miners plan to draw is met by the planner's answer whole. */
  readonly wholeFraction: number;
}

export const DEFAULT_MOVES: MovesPolicy = { mode: 'optimal', deadbandFraction: 0.0005, driftFraction: 0.005, maxRaises: 1, wholeFraction: 0.02 };

/** Per miner arrays are in the order of `miners`. */
export interface MovesInput {
  /** The planner's miners (profiles in planner watts); excluded and pinned ones are left as planned. */
  readonly miners: readonly PlanMiner[];
  /**
   * The planner's answer for `budgetW` (by id, and per miner the index of its profile, −1
   * none), and what it draws and hashes in all. The map is asked for only when the answer is
   * taken whole (built and copied on every step, it cost ~6 % of a 2,000-miner backtest).
   */
  readonly optimal: () => ReadonlyMap<string, string>;
  readonly optimalIndex: ArrayLike<number>;
  /** The planner's answer for miner i by name (FleetPlanner.optionNames reads it without touching the option). */
  readonly optimalAt?: (i: number) => string | undefined;
  readonly optimalW: number;
  readonly optimalThs: number;
  /** Per miner, where it is heading now (its target, or what it reads without one); undefined: unknown, left as planned. */
  readonly current: ArrayLike<string | undefined>;
  readonly budgetW: number;
  /** Per miner, 1 when it may not be raised now (within its dwell). */
  readonly held?: ArrayLike<number>;
  /** The planner's hashrate for the miners at this total draw (W): what drift is measured against. */
  readonly hashrateAt: (powerW: number) => number;
}

export interface MovesResult {
  /** Per miner (in the order of `miners`), its target's name; undefined: none (excluded). */
  readonly targetAt: (i: number) => string | undefined;
  /** The same by id, built on first read (a map of every miner, built on every step, was ~3 % of a backtest). */
  readonly targets: ReadonlyMap<string, string>;
  /** Planned draw and hashrate of `targets` (every miner, as the planner counts them). */
  readonly powerW: number;
  readonly hashrateThs: number;
  /** Miners whose target differs from where they are heading. */
  readonly moved: number;
  /** True when the planner's answer was taken whole (drift, or nothing to start from). */
  readonly rebalanced: boolean;
  /** Raises a miner within its dwell could have made (the choice may change when the dwell ends). */
  readonly heldRaises: number;
}

/** What miner i releases at its lowest hull point (−∞: not the hook's to move). */
function releaseW(at: readonly (PlanOption | undefined)[], hulls: readonly (readonly PlanOption[])[], i: number): number {
  const a = at[i];
  const h = hulls[i];
  return a && h && h.length > 0 ? a.powerW - h[0]!.powerW : Number.NEGATIVE_INFINITY;
}

/** Largest moves found by scanning every miner before the rest are taken from a sort (`releaseOrder`). */
const SCANS_BEFORE_SORT = 4;

/**
 * One scan: the single move that releases `need` with the least to spare (within `tolW`, the
 * least hashrate lost; ties: the lower index), and the miner that can release the most (−1:
 * none can release anything). Per miner only one candidate can win: the shallowest hull
 * point that releases enough (less to spare and less lost than any deeper).
 */
function shedScan(at: readonly (PlanOption | undefined)[], hulls: readonly (readonly PlanOption[])[], under: Int32Array, need: number, tolW: number) {
  let best = -1;
  let bestTo: PlanOption | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  let largest = -1;
  let largestW = 0;
  for (let i = 0; i < at.length; i++) {
    const a = at[i];
    if (!a) continue;
    const h = hulls[i]!;
    let j = under[i]!;
    while (j >= 0 && a.powerW - h[j]!.powerW < need) j--;
    if (j >= 0) {
      const o = h[j]!;
      const spare = a.powerW - o.powerW - need;
      const score = (spare <= tolW ? 0 : spare) * 1e6 + (a.hashrateThs - o.hashrateThs);
      if (score < bestScore) {
        best = i;
        bestTo = o;
        bestScore = score;
      }
    } else if (h.length > 0 && a.powerW - h[0]!.powerW > largestW) {
      largest = i;
      largestW = a.powerW - h[0]!.powerW;
    }
  }
  return { best, bestTo, largest };
}

/** The miners that can release anything, largest release first (ties: the lower index). */
function releaseOrder(at: readonly (PlanOption | undefined)[], hulls: readonly (readonly PlanOption[])[]): Int32Array {
  const ids: number[] = [];
  const w = new Float64Array(at.length);
  for (let i = 0; i < at.length; i++) {
    w[i] = releaseW(at, hulls, i);
    if (w[i]! > 0) ids.push(i);
  }
  return Int32Array.from(ids.sort((a, b) => w[b]! - w[a]! || a - b));
}

export function fewestMoves(x: MovesInput, p: MovesPolicy): MovesResult {
  const n = x.miners.length;
  const from = headings(x.miners, x.current);
  const hulls = from.hulls;
  // Per miner: where it heads (its option), or undefined when it is not the hook's to move.
  const at: (PlanOption | undefined)[] = from.at.slice();
  const under = from.below.slice();
  let deltaW = 0;
  let deltaThs = 0;
  let known = 0;
  let off = 0;
  for (let i = 0; i < n; i++) {
    const j = from.atIndex[i]!;
    if (j < 0) continue;
    const k = x.optimalIndex[i]!;
    if (k < 0) {
      at[i] = undefined;
      continue;
    }
    known++;
    // Most miners head where the planner puts them: nothing to read for those.
    if (j === k) continue;
    off++;
    const a = at[i]!;
    const optimal = x.miners[i]!.profiles[k]!;
    deltaW += a.powerW - optimal.powerW;
    deltaThs += a.hashrateThs - optimal.hashrateThs;
  }
  const optimalAt = x.optimalAt ?? ((i: number) => {
    const k = x.optimalIndex[i]!;
    return k >= 0 ? x.miners[i]!.profiles[k]!.name : undefined;
  });
  const whole = (): MovesResult => result(optimalAt, x.optimal, { powerW: x.optimalW, hashrateThs: x.optimalThs, moved: off, rebalanced: true, heldRaises: 0 });
  if (known === 0) return whole();

  const tolW = p.deadbandFraction * x.budgetW;
  let powerW = x.optimalW + deltaW;
  let ths = x.optimalThs + deltaThs;
  if (Math.abs(x.budgetW - powerW) > p.wholeFraction * x.budgetW) return whole();
  const to = new Map<number, PlanOption>();
  const wasMoved = new Uint8Array(n);
  const move = (i: number, o: PlanOption) => {
    wasMoved[i] = 1;
    under[i] = below(hulls[i]!, o.powerW);
    const a = at[i]!;
    powerW += o.powerW - a.powerW;
    ths += o.hashrateThs - a.hashrateThs;
    at[i] = o;
    to.set(i, o);
  };
  // Shed: the single move that releases enough with the least to spare (within the tolerance,
  // the least hashrate lost); failing that, the largest, and again. One scan finds the best
  // single move, and once one is made the plan fits. While no miner can release enough alone,
  // the largest releases go first, in order: a sort, not a scan of every miner per move (at
  // 100,000 miners a shed of many kW was hundreds of scans a step).
  let order: Int32Array | undefined;
  let next = 0;
  let scans = 0;
  while (powerW > x.budgetW) {
    const need = powerW - x.budgetW;
    if (order && next < order.length && releaseW(at, hulls, order[next]!) < need) {
      const i = order[next++]!;
      move(i, hulls[i]![0]!);
      continue;
    }
    const scan = shedScan(at, hulls, under, need, tolW);
    if (scan.best >= 0) {
      move(scan.best, scan.bestTo!);
      continue;
    }
    if (scan.largest < 0) return whole();
    // The first few largest moves by scan; a long run of them (a large fleet, a large shed) from a sort.
    if (order || ++scans < SCANS_BEFORE_SORT) move(scan.largest, hulls[scan.largest]![0]!);
    else order = releaseOrder(at, hulls);
  }
  // Raise: the move that uses most of what is unused without going over (within the
  // tolerance, the most hashrate gained). Per miner: its highest hull point that fits.
  // Up to what the planner's answer draws: beyond it nothing fits (a fleet at its top).
  const fillW = Math.min(x.budgetW, x.optimalW + tolW);
  let heldRaises = 0;
  for (let k = 0; k < p.maxRaises && fillW - powerW > tolW; k++) {
    const room = x.budgetW - powerW;
    let best = -1;
    let bestTo: PlanOption | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const a = at[i];
      if (!a) continue;
      const h = hulls[i]!;
      let j = under[i]! + 1;
      while (j < h.length && h[j]!.powerW <= a.powerW) j++;
      if (j >= h.length || h[j]!.powerW - a.powerW > room) continue;
      if (x.held?.[i] === 1) {
        heldRaises++;
        continue;
      }
      while (j + 1 < h.length && h[j + 1]!.powerW - a.powerW <= room) j++;
      const o = h[j]!;
      const short = room - (o.powerW - a.powerW);
      const score = -(short <= tolW ? 0 : short) * 1e6 + (o.hashrateThs - a.hashrateThs);
      if (score > bestScore) [best, bestTo, bestScore] = [i, o, score];
    }
    if (best < 0) break;
    move(best, bestTo!);
  }
  // Drift: against the planner's best for the power the miners now plan to draw (not for the
  // budget: power left unused within the dead band or by held miners is not drift). Checked
  // when a move was made, or when many miners are off the planner's answer (a start from
  // wherever the miners were): otherwise the miners plan what was checked before.
  if ((to.size > 0 || off > 0.1 * known) && ths < x.hashrateAt(powerW) * (1 - p.driftFraction)) return whole();
  if (off === 0 && to.size === 0) return result(optimalAt, x.optimal, { powerW, hashrateThs: ths, moved: 0, rebalanced: false, heldRaises });
  // The planner's answer with the moves in it. A miner the hook knows and did not move heads
  // where it did: its name is the one in `current` (no option to read, and the very string
  // the step compares with).
  const targetAt = (i: number) => {
    if (wasMoved[i]) return at[i]!.name;
    return from.atIndex[i]! >= 0 && x.optimalIndex[i]! >= 0 ? x.current[i] : optimalAt(i);
  };
  const byId = () => {
    const targets = new Map<string, string>();
    for (let i = 0; i < n; i++) {
      const name = targetAt(i);
      if (name !== undefined) targets.set(x.miners[i]!.id, name);
    }
    return targets;
  };
  return result(targetAt, byId, { powerW, hashrateThs: ths, moved: to.size, rebalanced: false, heldRaises });
}

/** A result whose `targets` map is built on first read (and kept). */
function result(targetAt: (i: number) => string | undefined, byId: () => ReadonlyMap<string, string>, fields: Omit<MovesResult, 'targetAt' | 'targets'>): MovesResult {
  let targets: ReadonlyMap<string, string> | undefined;
  return {
    targetAt,
    get targets() {
      return (targets ??= byId());
    },
    ...fields,
  };
}

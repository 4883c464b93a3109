import type { FleetTables } from '../planner/fleet-tables.js';
import type { PlanMiner } from '../planner/planner.js';
import { headings, type Headings } from './miner-headings.js';

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
  /** The planner's flat tables (FleetPlanner.tables): the answer's draws read from them, not from the options. */
  readonly tables?: FleetTables;
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

/**
 * Where the miners plan to head while moves are made: the headings' arrays, copied on the
 * first move (most steps make none), and each move's hull point.
 */
class Working {
  atW: Float64Array;
  atThs: Float64Array;
  under: Int32Array;
  /** Per miner: the flat hull index it was moved to (−1: not moved); allocated on the first move. */
  movedTo: Int32Array | undefined;
  moves = 0;
  private own = false;

  constructor(readonly from: Headings) {
    this.atW = from.atW;
    this.atThs = from.atThs;
    this.under = from.below;
  }

  /** Miner i is not the hook's to move after all. */
  drop(i: number): void {
    this.copy();
    this.atW[i] = Number.NaN;
  }

  /** Miner i heads to hull point q now. */
  move(i: number, q: number): void {
    this.copy();
    const h = this.from.hulls;
    this.movedTo ??= new Int32Array(this.atW.length).fill(-1);
    if (this.movedTo[i]! < 0) this.moves++;
    this.movedTo[i] = q;
    this.atW[i] = h.powerW[q]!;
    this.atThs[i] = h.hashrateThs[q]!;
    // Hull points draw strictly more one after the other: the one below q is the last below it.
    this.under[i] = q - 1;
  }

  /** What miner i releases at its lowest hull point (−∞: not the hook's to move). */
  releaseW(i: number): number {
    const h = this.from.hulls;
    const a = this.atW[i]!;
    return a === a && h.end[i]! > h.start[i]! ? a - h.powerW[h.start[i]!]! : Number.NEGATIVE_INFINITY;
  }

  private copy(): void {
    if (this.own) return;
    this.atW = this.atW.slice();
    this.atThs = this.atThs.slice();
    this.under = this.under.slice();
    this.own = true;
  }
}

/** Largest moves found by scanning every miner before the rest are taken from a sort (`releaseOrder`). */
const SCANS_BEFORE_SORT = 4;

/**
 * One scan: the single move that releases `need` with the least to spare (within `tolW`, the
 * least hashrate lost; ties: the lower index), and the miner that can release the most (−1:
 * none can release anything). Per miner only one candidate can win: the shallowest hull
 * point that releases enough (less to spare and less lost than any deeper).
 */
function shedScan(w: Working, need: number, tolW: number) {
  const { atW, atThs, under } = w;
  const { start, end, powerW: hw, hashrateThs: hths } = w.from.hulls;
  let best = -1;
  let bestTo = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  let largest = -1;
  let largestW = 0;
  for (let i = 0; i < atW.length; i++) {
    const a = atW[i]!;
    if (a !== a) continue;
    const s = start[i]!;
    let j = under[i]!;
    while (j >= s && a - hw[j]! < need) j--;
    if (j >= s) {
      const spare = a - hw[j]! - need;
      const score = (spare <= tolW ? 0 : spare) * 1e6 + (atThs[i]! - hths[j]!);
      if (score < bestScore) {
        best = i;
        bestTo = j;
        bestScore = score;
      }
    } else if (end[i]! > s && a - hw[s]! > largestW) {
      largest = i;
      largestW = a - hw[s]!;
    }
  }
  return { best, bestTo, largest };
}

/** The miners that can release anything, largest release first (ties: the lower index). */
function releaseOrder(w: Working): Int32Array {
  const ids: number[] = [];
  const r = new Float64Array(w.atW.length);
  for (let i = 0; i < r.length; i++) {
    r[i] = w.releaseW(i);
    if (r[i]! > 0) ids.push(i);
  }
  return Int32Array.from(ids.sort((a, b) => r[b]! - r[a]! || a - b));
}

/**
 * One scan for a raise: the move that uses most of `room` without going over (within `tolW`,
 * the most hashrate gained; ties: the lower index), per miner its highest hull point that
 * fits; and how many miners held by their dwell could have made one.
 */
function raiseScan(w: Working, room: number, tolW: number, held: ArrayLike<number> | undefined) {
  const { atW, atThs, under } = w;
  const { end, powerW: hw, hashrateThs: hths } = w.from.hulls;
  let best = -1;
  let bestTo = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  let heldRaises = 0;
  for (let i = 0; i < atW.length; i++) {
    const a = atW[i]!;
    if (a !== a) continue;
    const e = end[i]!;
    let j = under[i]! + 1;
    while (j < e && hw[j]! <= a) j++;
    if (j >= e || hw[j]! - a > room) continue;
    if (held !== undefined && held[i] === 1) {
      heldRaises++;
      continue;
    }
    while (j + 1 < e && hw[j + 1]! - a <= room) j++;
    const short = room - (hw[j]! - a);
    const score = -(short <= tolW ? 0 : short) * 1e6 + (hths[j]! - atThs[i]!);
    if (score > bestScore) {
      best = i;
      bestTo = j;
      bestScore = score;
    }
  }
  return { best, bestTo, heldRaises };
}

export function fewestMoves(x: MovesInput, p: MovesPolicy): MovesResult {
  const n = x.miners.length;
  const from = headings(x.miners, x.current);
  const w = new Working(from);
  const hulls = from.hulls;
  // The planner's answer's draw and hashrate for miner i's option k: from its flat tables when given.
  const t = x.tables;
  const optW = t ? (i: number, k: number) => t.powerW[t.offsets[i]! + k]! : (i: number, k: number) => x.miners[i]!.profiles[k]!.powerW;
  const optThs = t ? (i: number, k: number) => t.hashrateThs[t.offsets[i]! + k]! : (i: number, k: number) => x.miners[i]!.profiles[k]!.hashrateThs;
  let deltaW = 0;
  let deltaThs = 0;
  let known = 0;
  let off = 0;
  for (let i = 0; i < n; i++) {
    const j = from.atIndex[i]!;
    if (j < 0) continue;
    const k = x.optimalIndex[i]!;
    if (k < 0) {
      w.drop(i);
      continue;
    }
    known++;
    // Most miners head where the planner puts them: nothing to read for those.
    if (j === k) continue;
    off++;
    deltaW += from.atW[i]! - optW(i, k);
    deltaThs += from.atThs[i]! - optThs(i, k);
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
  const move = (i: number, q: number) => {
    powerW += hulls.powerW[q]! - w.atW[i]!;
    ths += hulls.hashrateThs[q]! - w.atThs[i]!;
    w.move(i, q);
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
    if (order && next < order.length && w.releaseW(order[next]!) < need) {
      const i = order[next++]!;
      move(i, hulls.start[i]!);
      continue;
    }
    const scan = shedScan(w, need, tolW);
    if (scan.best >= 0) {
      move(scan.best, scan.bestTo);
      continue;
    }
    if (scan.largest < 0) return whole();
    // The first few largest moves by scan; a long run of them (a large fleet, a large shed) from a sort.
    if (order || ++scans < SCANS_BEFORE_SORT) move(scan.largest, hulls.start[scan.largest]!);
    else order = releaseOrder(w);
  }
  // Raise: up to what the planner's answer draws (beyond it nothing fits: a fleet at its top).
  const fillW = Math.min(x.budgetW, x.optimalW + tolW);
  let heldRaises = 0;
  for (let k = 0; k < p.maxRaises && fillW - powerW > tolW; k++) {
    const scan = raiseScan(w, x.budgetW - powerW, tolW, x.held);
    heldRaises += scan.heldRaises;
    if (scan.best < 0) break;
    move(scan.best, scan.bestTo);
  }
  // Drift: against the planner's best for the power the miners now plan to draw (not for the
  // budget: power left unused within the dead band or by held miners is not drift). Checked
  // when a move was made, or when many miners are off the planner's answer (a start from
  // wherever the miners were): otherwise the miners plan what was checked before.
  if ((w.moves > 0 || off > 0.1 * known) && ths < x.hashrateAt(powerW) * (1 - p.driftFraction)) return whole();
  if (off === 0 && w.moves === 0) return result(optimalAt, x.optimal, { powerW, hashrateThs: ths, moved: 0, rebalanced: false, heldRaises });
  // The planner's answer with the moves in it. A miner the hook knows and did not move heads
  // where it did: its name is the one in `current` (no option to read, and the very string
  // the step compares with).
  const movedTo = w.movedTo;
  const targetAt = (i: number) => {
    const q = movedTo ? movedTo[i]! : -1;
    if (q >= 0) return hulls.option[q]!.name;
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
  return result(targetAt, byId, { powerW, hashrateThs: ths, moved: w.moves, rebalanced: false, heldRaises });
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

import { STEP_BLOCK, type PreparedFleet } from './prepare.js';

/** Bound locally: under a CommonJS transform (tsx) every use of an imported name is a getter call. */
const BLOCK = STEP_BLOCK;

export interface SolveOptions {
  /** Power the miners may use in all (W). */
  readonly budgetW: number;
  /** Per-zone budgets (W), indexed like the prepared zones; missing or Infinity = no limit. */
  readonly zoneBudgetW?: ArrayLike<number>;
  /**
   * Marginal efficiency floor (TH/s per W): steps below it lose money at the current energy
   * price and hashprice (`breakevenThPerW`) and are not taken. 0 = hashrate at any price.
   */
  readonly minThPerW?: number;
}

export interface Solution {
  /** False when the budget (or a zone's) is below the miners' lowest possible draw. */
  readonly feasible: boolean;
  /** How far below that minimum the tightest budget is (0 when feasible). */
  readonly deficitW: number;
  /** Zone whose budget is infeasible, −1 for the site budget or when feasible. */
  readonly infeasibleZone: number;
  /** Hull level chosen per miner (0 = base); −1 for pinned and excluded miners. */
  readonly level: Int32Array;
  readonly powerW: number;
  readonly hashrateThs: number;
  /**
   * LP-relaxation bound on hashrate for the site budget and price floor. With zone budgets
   * it ignores the zones (still a valid upper bound, looser).
   */
  readonly lpBoundThs: number;
  /** Miner hull steps taken. */
  readonly stepsTaken: number;
  /** Miner hull steps that the price floor ruled out. */
  readonly stepsBelowBreakeven: number;
}

/**
 * Greedy allocation on the prepared hull steps: in decreasing ΔTH/ΔW, move as many of a
 * group's miners up one step as still fit (all of them until the budget binds, then as many
 * as fit, then any later step that still fits). Within one step of the LP bound; on real
 * fleets the gap is ≪ 0.01 %.
 *
 * Two phases with the same arithmetic: a lean pass over the steps every member takes (most
 * of them: ~1 M for 100k distinct tables at 70 % of stock), then the general walk from the
 * first step that does not fully fit, which skips blocks of steps that are all too big and
 * stops once nothing further can fit. Sums are taken step by step in sorted order, exactly
 * as a plain greedy would, so the result does not depend on where one phase hands over.
 */
export function solve(p: PreparedFleet, opts: SolveOptions): Solution {
  const limit = priceLimit(p, opts.minThPerW ?? 0);
  const stepsBelowBreakeven = membersFrom(p, limit);

  let worstDeficit = p.baseW - opts.budgetW;
  let infeasibleZone = -1;
  for (let z = 0; z < p.zoneCount; z++) {
    const d = p.zoneBaseW[z]! - zoneLimit(opts.zoneBudgetW, z);
    if (d > worstDeficit) {
      worstDeficit = d;
      infeasibleZone = z;
    }
  }
  const fill = new Fill(p, opts.budgetW - p.baseW, zoneRemaining(p, opts.zoneBudgetW));
  if (worstDeficit > 0) {
    return {
      feasible: false, deficitW: worstDeficit, infeasibleZone, level: fill.levels(),
      powerW: p.baseW, hashrateThs: p.baseThs, lpBoundThs: p.baseThs, stepsTaken: 0, stepsBelowBreakeven,
    };
  }
  const boundary = fill.wholeSteps(limit);
  const lpBoundThs = lpBound(p, limit, fill.remaining, boundary);
  fill.walk(boundary.step, limit);
  return {
    feasible: true, deficitW: 0, infeasibleZone: -1, level: fill.levels(), powerW: fill.powerW,
    hashrateThs: fill.hashrateThs, lpBoundThs, stepsTaken: fill.stepsTaken, stepsBelowBreakeven,
  };
}

/** Steps from the returned index on earn less than their energy costs (steps are sorted exactly). */
function priceLimit(p: PreparedFleet, floor: number): number {
  let limit = p.stepCount;
  if (floor > 0) {
    let lo = 0;
    while (lo < limit) {
      const mid = (lo + limit) >>> 1;
      if (p.sDTH[mid]! >= floor * p.sDW[mid]!) lo = mid + 1;
      else limit = mid;
    }
  }
  return limit;
}

/** Miners concerned by the sorted steps from `from` on (whole blocks at a time). */
function membersFrom(p: PreparedFleet, from: number): number {
  const { memberStart } = p.groups;
  let count = 0;
  let r = from;
  for (; r < p.stepCount && r % BLOCK !== 0; r++) {
    const g = p.sGroup[r]!;
    count += memberStart[g + 1]! - memberStart[g]!;
  }
  if (r >= p.stepCount) return count;
  for (let b = r / BLOCK; b < p.blockMembers.length; b++) count += p.blockMembers[b]!;
  return count;
}

/** Where the steps that every member of its group takes end, and their prefix sums for the LP bound. */
interface Boundary {
  /** First sorted step not taken by every member of its group (or the price limit). */
  readonly step: number;
  /**
   * LP: whole group steps that fit the site budget (−1: all up to `step` fit, the rest is
   * unknown), and the summed ΔW and ΔTH of those up to there.
   */
  readonly lpSteps: number;
  readonly lpW: number;
  readonly lpThs: number;
}

/**
 * LP bound (site budget): whole group steps while they fit, then a fraction of the next.
 * Continues the prefix sums from where the lean pass left them when the greedy stopped first
 * (a zone binding, or rounding on the last step).
 */
function lpBound(p: PreparedFleet, limit: number, remaining: number, b: Boundary): number {
  const { memberStart } = p.groups;
  let { lpSteps: k, lpW, lpThs } = b;
  if (k < 0) {
    for (k = b.step; k < limit; k++) {
      const g = p.sGroup[k]!;
      const size = memberStart[g + 1]! - memberStart[g]!;
      const w = lpW + p.sDW[k]! * size;
      if (w > remaining) break;
      lpW = w;
      lpThs += p.sDTH[k]! * size;
    }
  }
  return p.baseThs + lpThs + (k < limit ? ((remaining - lpW) / p.sDW[k]!) * p.sDTH[k]! : 0);
}

/** Every member of group g at level top[g] (the walk's partial moves are applied after). */
function fillLevels(level: Int32Array, members: Int32Array, memberStart: Uint32Array, top: Int32Array): void {
  for (let g = 0; g < top.length; g++) {
    const lv = top[g]!;
    const end = memberStart[g + 1]!;
    for (let i = memberStart[g]!; i < end; i++) level[members[i]!] = lv;
  }
}

const REM = 0;
const POWER = 1;
const THS = 2;
const TAKEN = 3;

/**
 * The greedy's state: what is left of the budgets, the totals, and per group how far its
 * leading members have climbed. Group g's members all sit at level `top[g]` until a step
 * moves only some of them; from then on `lead[g]` of them are at `top[g]`, and `moves` keeps
 * the partial history to hand out levels at the end.
 */
class Fill {
  /**
   * Budget left, totals and steps taken, as doubles in a typed array: object fields would
   * change representation (small integer → double) with the inputs and throw optimised code
   * away.
   */
  private readonly sums = new Float64Array(4);
  private readonly top: Int32Array;
  /** Members at `top[g]`; 0 = all of them. */
  private readonly lead: Int32Array;
  /** Steps that moved members of a group after the lean pass: (group, level, count) triples. */
  private readonly moves: number[] = [];

  constructor(
    private readonly p: PreparedFleet,
    readonly remaining: number,
    private readonly zoneRem: Float64Array | undefined,
  ) {
    this.sums[REM] = remaining;
    this.sums[POWER] = p.baseW;
    this.sums[THS] = p.baseThs;
    this.top = new Int32Array(p.groups.groupCount);
    this.lead = new Int32Array(p.groups.groupCount);
  }

  get powerW(): number {
    return this.sums[POWER]!;
  }

  get hashrateThs(): number {
    return this.sums[THS]!;
  }

  get stepsTaken(): number {
    return this.sums[TAKEN]!;
  }

  /**
   * Lean pass: steps that every member of the group takes, in order, until the first that
   * does not fully fit the site or its zone. Every step before it was taken whole, so all
   * of a group's members are at the step's level: no eligibility to track.
   */
  wholeSteps(limit: number): Boundary {
    const { sGroup, sLevel, sDW, sDTH } = this.p;
    const { memberStart, representative } = this.p.groups;
    const zoneOf = this.p.zoneOf;
    const { zoneRem, top, remaining, sums } = this;
    let rem = sums[REM]!;
    let powerW = sums[POWER]!;
    let hashrateThs = sums[THS]!;
    let stepsTaken = sums[TAKEN]!;
    let lpW = 0;
    let lpThs = 0;
    let lpSteps = -1;
    let r = 0;
    for (; r < limit; r++) {
      const g = sGroup[r]!;
      const size = memberStart[g + 1]! - memberStart[g]!;
      const dW = sDW[r]!;
      const dTH = sDTH[r]!;
      if (Math.floor(rem / dW) < size) break;
      if (zoneRem) {
        const z = zoneOf![representative[g]!]!;
        if (z >= 0) {
          if (Math.floor(zoneRem[z]! / dW) < size) break;
          zoneRem[z] = zoneRem[z]! - size * dW;
        }
      }
      if (lpSteps < 0) {
        const w = lpW + dW * size;
        if (w > remaining) lpSteps = r;
        else {
          lpW = w;
          lpThs += dTH * size;
        }
      }
      rem -= size * dW;
      powerW += size * dW;
      hashrateThs += size * dTH;
      stepsTaken += size;
      top[g] = sLevel[r]! + 1;
    }
    sums[REM] = rem;
    sums[POWER] = powerW;
    sums[THS] = hashrateThs;
    sums[TAKEN] = stepsTaken;
    return { step: r, lpSteps, lpW, lpThs };
  }

  /**
   * General walk from `from`: each step moves as many of the members at its level as the
   * budgets allow. Blocks whose every step is larger than what is left are skipped (nothing
   * in them can fit), and the walk stops when nothing further can.
   */
  walk(from: number, limit: number): void {
    const { sGroup, sLevel, sDW, sDTH, blockMinDW, blockSuffixMinDW } = this.p;
    const { memberStart, representative } = this.p.groups;
    const zoneOf = this.p.zoneOf;
    const { zoneRem, top, lead, moves, sums } = this;
    let r = from;
    while (r < limit) {
      if (r % BLOCK === 0) {
        const b = r / BLOCK;
        if (sums[REM]! < blockSuffixMinDW[b]!) break;
        if (sums[REM]! < blockMinDW[b]!) {
          r += BLOCK;
          continue;
        }
      }
      const g = sGroup[r]!;
      const level = sLevel[r]!;
      if (top[g] === level) {
        const dW = sDW[r]!;
        let t = Math.min(lead[g] || memberStart[g + 1]! - memberStart[g]!, Math.floor(sums[REM]! / dW));
        if (zoneRem) {
          const z = zoneOf![representative[g]!]!;
          if (z >= 0) t = Math.min(t, Math.floor(zoneRem[z]! / dW));
          if (t > 0 && z >= 0) zoneRem[z] = zoneRem[z]! - t * dW;
        }
        if (t > 0) {
          top[g] = level + 1;
          lead[g] = t;
          moves.push(g, level, t);
          sums[REM] = sums[REM]! - t * dW;
          sums[POWER] = sums[POWER]! + t * dW;
          sums[THS] = sums[THS]! + t * sDTH[r]!;
          sums[TAKEN] = sums[TAKEN]! + t;
        }
      }
      r++;
    }
  }

  /**
   * Level per miner (−1 for pinned and excluded miners). Within a group, highest levels to
   * the first members: after the walk's moves (in level order, counts never growing), member
   * i is one level above the level where the group's first walk move started for every move
   * of more than i members.
   */
  levels(): Int32Array {
    const { groups, minerCount } = this.p;
    const { memberStart, members } = groups;
    // Miners outside every group (pinned, excluded) read −1; when there are none, every
    // entry is written below.
    const level = new Int32Array(minerCount);
    if (members.length < minerCount) level.fill(-1);
    fillLevels(level, members, memberStart, this.top);
    const { moves, lead } = this;
    const started = new Set<number>();
    for (let e = 0; e < moves.length; e += 3) {
      const g = moves[e]!;
      const from = moves[e + 1]!;
      const count = moves[e + 2]!;
      const start = memberStart[g]!;
      const size = memberStart[g + 1]! - start;
      if (lead[g] === size) continue; // every walk move took the whole group: all at top[g]
      if (!started.has(g)) {
        started.add(g);
        for (let i = start; i < start + size; i++) level[members[i]!] = from;
      }
      for (let i = start; i < start + count; i++) level[members[i]!] = from + 1;
    }
    return level;
  }
}

function zoneLimit(budgets: ArrayLike<number> | undefined, z: number): number {
  const b = budgets?.[z];
  return b === undefined ? Number.POSITIVE_INFINITY : b;
}

/** What each zone has left above its base draw, or undefined when no zone has a limit. */
function zoneRemaining(p: PreparedFleet, budgets: ArrayLike<number> | undefined): Float64Array | undefined {
  let any = false;
  const rem = new Float64Array(p.zoneCount);
  for (let z = 0; z < p.zoneCount; z++) {
    const limit = zoneLimit(budgets, z);
    if (Number.isFinite(limit)) any = true;
    rem[z] = limit - p.zoneBaseW[z]!;
  }
  return any ? rem : undefined;
}

/** Absolute option index chosen for miner m, or −1 for an excluded miner. */
export function chosenOption(p: PreparedFleet, s: Solution, m: number): number {
  if (p.excluded[m]) return -1;
  if (p.pinnedOption[m]! >= 0) return p.pinnedOption[m]!;
  const g = p.groups.groupOf[m]!;
  return p.fleet.offsets[m]! + p.hullRel[p.hullStart[g]! + s.level[m]!]!;
}

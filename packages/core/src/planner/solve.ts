import type { PreparedFleet } from './prepare.js';

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
 * fleets the gap is ≪ 0.01 %. Cost: one pass over the sorted group steps that fit, then one
 * write per miner.
 */
export function solve(p: PreparedFleet, opts: SolveOptions): Solution {
  const floor = opts.minThPerW ?? 0;
  const { groups, hullStart, sGroup, sLevel, sDW, sDTH, suffixMinDW } = p;
  const size = (g: number) => groups.memberStart[g + 1]! - groups.memberStart[g]!;

  // Steps from `limit` on earn less than their energy costs (steps are sorted exactly).
  let limit = p.stepCount;
  if (floor > 0) {
    let lo = 0;
    while (lo < limit) {
      const mid = (lo + limit) >>> 1;
      if (sDTH[mid]! >= floor * sDW[mid]!) lo = mid + 1;
      else limit = mid;
    }
  }
  let stepsBelowBreakeven = 0;
  for (let r = limit; r < p.stepCount; r++) stepsBelowBreakeven += size(sGroup[r]!);

  let worstDeficit = p.baseW - opts.budgetW;
  let infeasibleZone = -1;
  for (let z = 0; z < p.zoneCount; z++) {
    const d = p.zoneBaseW[z]! - zoneLimit(opts.zoneBudgetW, z);
    if (d > worstDeficit) {
      worstDeficit = d;
      infeasibleZone = z;
    }
  }
  const levelCount = new Float64Array(hullStart[groups.groupCount]!);
  for (let g = 0; g < groups.groupCount; g++) levelCount[hullStart[g]!] = size(g);
  if (worstDeficit > 0) {
    return {
      feasible: false, deficitW: worstDeficit, infeasibleZone, level: assignLevels(p, levelCount),
      powerW: p.baseW, hashrateThs: p.baseThs, lpBoundThs: p.baseThs, stepsTaken: 0, stepsBelowBreakeven,
    };
  }
  const remaining = opts.budgetW - p.baseW;

  // LP bound (site budget): whole group steps while they fit, then a fraction of the next.
  let k = 0;
  let hi = limit;
  while (k < hi) {
    const mid = (k + hi + 1) >>> 1;
    if (p.prefixDW[mid]! <= remaining) k = mid;
    else hi = mid - 1;
  }
  const lpBoundThs = p.baseThs + p.prefixDTH[k]! +
    (k < limit ? ((remaining - p.prefixDW[k]!) / sDW[k]!) * sDTH[k]! : 0);

  const zoneRem = zoneRemaining(p, opts.zoneBudgetW);
  const zoneOf = p.zoneOf;
  let rem = remaining;
  let powerW = p.baseW;
  let hashrateThs = p.baseThs;
  let stepsTaken = 0;
  for (let r = 0; r < limit; r++) {
    if (rem < suffixMinDW[r]!) break;
    const g = sGroup[r]!;
    const at = hullStart[g]! + sLevel[r]!;
    const eligible = levelCount[at]!;
    if (eligible === 0) continue;
    const dW = sDW[r]!;
    let t = Math.min(eligible, Math.floor(rem / dW));
    if (zoneRem) {
      const z = zoneOf![groups.representative[g]!]!;
      if (z >= 0) t = Math.min(t, Math.floor(zoneRem[z]! / dW));
      if (t > 0 && z >= 0) zoneRem[z] = zoneRem[z]! - t * dW;
    }
    if (t <= 0) continue;
    levelCount[at] = eligible - t;
    levelCount[at + 1] = levelCount[at + 1]! + t;
    rem -= t * dW;
    powerW += t * dW;
    hashrateThs += t * sDTH[r]!;
    stepsTaken += t;
  }
  return {
    feasible: true, deficitW: 0, infeasibleZone: -1, level: assignLevels(p, levelCount), powerW, hashrateThs,
    lpBoundThs, stepsTaken, stepsBelowBreakeven,
  };
}

/** Hand each group's level counts to its members, highest levels to the first members. */
function assignLevels(p: PreparedFleet, levelCount: Float64Array): Int32Array {
  const level = new Int32Array(p.minerCount).fill(-1);
  const { groups, hullStart } = p;
  for (let g = 0; g < groups.groupCount; g++) {
    let i = groups.memberStart[g]!;
    for (let at = hullStart[g + 1]! - 1; at >= hullStart[g]!; at--) {
      const lv = at - hullStart[g]!;
      for (let c = levelCount[at]!; c > 0; c--) level[groups.members[i++]!] = lv;
    }
  }
  return level;
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

import type { FleetTables } from './fleet-tables.js';
import { groupTables, type MinerGroups } from './group-tables.js';
import { upperHull } from './hull.js';

/** What constrains individual miners before any budget is known. */
export interface MinerConstraints {
  /** Per miner: index (within the miner's own options) of a pinned option, or −1. */
  readonly pinned?: Int32Array;
  /** Per miner: budgeted draw of a miner excluded from control (maintenance), or NaN. */
  readonly excludedW?: Float64Array;
  /** Per miner: zone number 0 … zoneCount−1, or −1 for none. */
  readonly zoneOf?: Int32Array;
  readonly zoneCount?: number;
}

/**
 * Everything about a fleet that does not depend on the budget: groups of identical tables,
 * each group's upper hull, and every hull step sorted by decreasing ΔTH/ΔW with prefix sums
 * weighted by group size. A budget change re-uses it (`solve`): GPU jobs come and go many
 * times a minute, the fleet rarely changes.
 */
export interface PreparedFleet {
  readonly fleet: FleetTables;
  readonly minerCount: number;
  readonly zoneOf: Int32Array | undefined;
  readonly zoneCount: number;
  readonly groups: MinerGroups;
  /** Per miner: absolute option id of a pinned miner, −1 otherwise. */
  readonly pinnedOption: Int32Array;
  readonly excluded: Uint8Array;
  /** Group g's hull: options `hullRel[hullStart[g] …]`, relative to a member's first option. */
  readonly hullStart: Uint32Array;
  readonly hullRel: Int32Array;
  /** Power and hashrate with every miner at its hull base (or pinned / excluded draw). */
  readonly baseW: number;
  readonly baseThs: number;
  readonly zoneBaseW: Float64Array;
  /** Sorted steps, best ΔTH/ΔW first: step of group sGroup from hull level sLevel to +1. */
  readonly stepCount: number;
  readonly sGroup: Int32Array;
  readonly sLevel: Int32Array;
  /** Per-miner ΔW and ΔTH of the step. */
  readonly sDW: Float64Array;
  readonly sDTH: Float64Array;
  /** prefixDW[k] = ΔW of the first k sorted steps taken by every member of their group. */
  readonly prefixDW: Float64Array;
  readonly prefixDTH: Float64Array;
  /** Smallest per-miner ΔW among sorted steps k …: the fill stops once nothing fits. */
  readonly suffixMinDW: Float64Array;
}

export function prepare(fleet: FleetTables, constraints: MinerConstraints = {}): PreparedFleet {
  const n = fleet.minerCount;
  const { offsets, powerW, hashrateThs } = fleet;
  const { pinned, excludedW, zoneOf } = constraints;
  const zoneCount = constraints.zoneCount ?? 0;

  const excluded = new Uint8Array(n);
  const pinnedOption = new Int32Array(n).fill(-1);
  const free = new Uint8Array(n);
  const zoneBaseW = new Float64Array(zoneCount);
  let baseW = 0;
  let baseThs = 0;
  const addBase = (m: number, w: number, th: number) => {
    baseW += w;
    baseThs += th;
    const z = zoneOf ? zoneOf[m]! : -1;
    if (z >= 0) zoneBaseW[z] = zoneBaseW[z]! + w;
  };
  for (let m = 0; m < n; m++) {
    const lo = offsets[m]!;
    const count = offsets[m + 1]! - lo;
    const ex = excludedW ? excludedW[m]! : Number.NaN;
    const pin = pinned ? pinned[m]! : -1;
    if (!Number.isNaN(ex)) {
      excluded[m] = 1;
      addBase(m, ex, 0);
    } else if (count === 0) {
      throw new RangeError(`miner #${m} has no options`);
    } else if (pin >= 0) {
      if (pin >= count) throw new RangeError(`miner #${m}: pinned option ${pin} out of range`);
      pinnedOption[m] = lo + pin;
      addBase(m, powerW[lo + pin]!, hashrateThs[lo + pin]!);
    } else {
      free[m] = 1;
    }
  }

  const groups = groupTables(fleet, free, zoneOf);
  const G = groups.groupCount;
  let maxOptions = 0;
  for (let g = 0; g < G; g++) {
    const r = groups.representative[g]!;
    maxOptions = Math.max(maxOptions, offsets[r + 1]! - offsets[r]!);
  }
  const scratch = new Int32Array(maxOptions);
  const hull = new Int32Array(maxOptions);
  const hullStart = new Uint32Array(G + 1);
  const hullRelList: number[] = [];
  const stepGroup: number[] = [];
  const stepLevel: number[] = [];
  const stepDW: number[] = [];
  const stepDTH: number[] = [];
  for (let g = 0; g < G; g++) {
    hullStart[g] = hullRelList.length;
    const r = groups.representative[g]!;
    const lo = offsets[r]!;
    const k = upperHull(powerW, hashrateThs, lo, offsets[r + 1]!, scratch, hull);
    const base = hull[0]!;
    for (let i = groups.memberStart[g]!; i < groups.memberStart[g + 1]!; i++) {
      addBase(groups.members[i]!, powerW[base]!, hashrateThs[base]!);
    }
    for (let j = 0; j < k; j++) {
      hullRelList.push(hull[j]! - lo);
      if (j > 0) {
        stepGroup.push(g);
        stepLevel.push(j - 1);
        stepDW.push(powerW[hull[j]!]! - powerW[hull[j - 1]!]!);
        stepDTH.push(hashrateThs[hull[j]!]! - hashrateThs[hull[j - 1]!]!);
      }
    }
  }
  hullStart[G] = hullRelList.length;

  // Decreasing ΔTH/ΔW; a group's own steps have strictly decreasing ratios (hull), so they
  // stay in level order. Ties between groups: lower group first, for reproducibility.
  const S = stepGroup.length;
  const ratio = Float64Array.from({ length: S }, (_, i) => stepDTH[i]! / stepDW[i]!);
  const order = Uint32Array.from({ length: S }, (_, i) => i).sort(
    (a, b) => ratio[b]! - ratio[a]! || stepGroup[a]! - stepGroup[b]! || stepLevel[a]! - stepLevel[b]!,
  );
  const sGroup = new Int32Array(S);
  const sLevel = new Int32Array(S);
  const sDW = new Float64Array(S);
  const sDTH = new Float64Array(S);
  const prefixDW = new Float64Array(S + 1);
  const prefixDTH = new Float64Array(S + 1);
  for (let r = 0; r < S; r++) {
    const i = order[r]!;
    const g = stepGroup[i]!;
    sGroup[r] = g;
    sLevel[r] = stepLevel[i]!;
    sDW[r] = stepDW[i]!;
    sDTH[r] = stepDTH[i]!;
    const size = groups.memberStart[g + 1]! - groups.memberStart[g]!;
    prefixDW[r + 1] = prefixDW[r]! + stepDW[i]! * size;
    prefixDTH[r + 1] = prefixDTH[r]! + stepDTH[i]! * size;
  }
  const suffixMinDW = new Float64Array(S + 1);
  suffixMinDW[S] = Number.POSITIVE_INFINITY;
  for (let r = S - 1; r >= 0; r--) suffixMinDW[r] = Math.min(sDW[r]!, suffixMinDW[r + 1]!);

  return {
    fleet, minerCount: n, zoneOf, zoneCount, groups, pinnedOption, excluded,
    hullStart, hullRel: Int32Array.from(hullRelList), baseW, baseThs, zoneBaseW,
    stepCount: S, sGroup, sLevel, sDW, sDTH, prefixDW, prefixDTH, suffixMinDW,
  };
}

import type { FleetTables } from './fleet-tables.js';
import { groupTables, type MinerGroups } from './group-tables.js';
import { upperHull } from './hull.js';
import { bucketStarts, sharedLeadingBits, sortWithinBuckets, type KeyBounds } from './bucket-sort.js';
import { scratchBuffer } from './scratch.js';

// Imported functions called in hot loops are bound locally once: under a CommonJS transform
// (tsx, the benchmarks, the tests) every use of an imported name is a getter call.
const hullOf = upperHull;

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
 * each group's upper hull, and every hull step sorted by decreasing ΔTH/ΔW. A budget change
 * re-uses it (`solve`): GPU jobs come and go many times a minute, the fleet rarely changes.
 *
 * Sized for fleets where every table differs (learned per-miner draws): ~21 bytes per hull
 * step, ~30 MB for 100k miners with 14 hull steps each. Every typed array allocated is tens
 * of MB that the engine's collector counts towards its next full collection, which in a
 * process with a large heap costs a few hundred ms: fewer bytes, fewer pauses.
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
  /** Bytes when every hull has at most 256 points (always, for LuxOS tables). */
  readonly sLevel: Uint8Array | Int32Array;
  /** Per-miner ΔW and ΔTH of the step. */
  readonly sDW: Float64Array;
  readonly sDTH: Float64Array;
  /**
   * Per block of `STEP_BLOCK` sorted steps: the smallest ΔW in it, the smallest ΔW from it to
   * the end, and how many miners its steps concern. The fill skips a block that nothing fits
   * in and stops when nothing further can fit.
   */
  readonly blockMinDW: Float64Array;
  readonly blockSuffixMinDW: Float64Array;
  readonly blockMembers: Float64Array;
}

/** Steps per block of `blockMinDW` / `blockSuffixMinDW` / `blockMembers`. */
export const STEP_BLOCK = 64;

export function prepare(fleet: FleetTables, constraints: MinerConstraints = {}): PreparedFleet {
  const n = fleet.minerCount;
  const { zoneOf } = constraints;
  const zoneCount = constraints.zoneCount ?? 0;
  const fixed = fixedMiners(fleet, constraints, zoneCount);
  const groups = groupTables(fleet, fixed.free, zoneOf);
  const hulls = groupHulls(fleet, groups);
  const base = fixed.base;
  addGroupBases(fleet, groups, hulls, zoneOf, base);
  const steps = sortSteps(fleet, groups, hulls);
  return {
    fleet, minerCount: n, zoneOf, zoneCount, groups, pinnedOption: fixed.pinnedOption, excluded: fixed.excluded,
    hullStart: hulls.hullStart, hullRel: hulls.hullRel, baseW: base.w, baseThs: base.ths, zoneBaseW: base.zoneW,
    ...steps,
  };
}

/** Running base draw and hashrate, site-wide and per zone. */
interface BaseSums {
  w: number;
  ths: number;
  readonly zoneW: Float64Array;
}

function addBase(base: BaseSums, zoneOf: Int32Array | undefined, m: number, w: number, th: number): void {
  base.w += w;
  base.ths += th;
  const z = zoneOf ? zoneOf[m]! : -1;
  if (z >= 0) base.zoneW[z] = base.zoneW[z]! + w;
}

/**
 * Every free miner starts at its hull base. Added member by member in group order, after the
 * fixed miners: the same sums, rounded the same way, as ever.
 */
function addGroupBases(fleet: FleetTables, groups: MinerGroups, hulls: GroupHulls, zoneOf: Int32Array | undefined, base: BaseSums): void {
  const { offsets, powerW, hashrateThs } = fleet;
  for (let g = 0; g < groups.groupCount; g++) {
    const at = offsets[groups.representative[g]!]! + hulls.hullRel[hulls.hullStart[g]!]!;
    const w = powerW[at]!;
    const th = hashrateThs[at]!;
    for (let i = groups.memberStart[g]!; i < groups.memberStart[g + 1]!; i++) {
      addBase(base, zoneOf, groups.members[i]!, w, th);
    }
  }
}

/** Pinned and excluded miners: fixed draws, part of the base. Everyone else is free. */
function fixedMiners(fleet: FleetTables, constraints: MinerConstraints, zoneCount: number) {
  const n = fleet.minerCount;
  const { offsets, powerW, hashrateThs } = fleet;
  const { pinned, excludedW, zoneOf } = constraints;
  const excluded = new Uint8Array(n);
  const pinnedOption = new Int32Array(n).fill(-1);
  const free = new Uint8Array(n);
  const base: BaseSums = { w: 0, ths: 0, zoneW: new Float64Array(zoneCount) };
  for (let m = 0; m < n; m++) {
    const lo = offsets[m]!;
    const count = offsets[m + 1]! - lo;
    const ex = excludedW ? excludedW[m]! : Number.NaN;
    const pin = pinned ? pinned[m]! : -1;
    if (!Number.isNaN(ex)) {
      excluded[m] = 1;
      addBase(base, zoneOf, m, ex, 0);
    } else if (count === 0) {
      throw new RangeError(`miner #${m} has no options`);
    } else if (pin >= 0) {
      if (pin >= count) throw new RangeError(`miner #${m}: pinned option ${pin} out of range`);
      pinnedOption[m] = lo + pin;
      addBase(base, zoneOf, m, powerW[lo + pin]!, hashrateThs[lo + pin]!);
    } else {
      free[m] = 1;
    }
  }
  return { excluded, pinnedOption, free, base };
}

/** Each group's upper hull. */
interface GroupHulls {
  readonly hullStart: Uint32Array;
  readonly hullRel: Int32Array;
  /** Hull steps in all: one fewer than points, per group. */
  readonly stepCount: number;
  /** Longest hull, in points. */
  readonly maxHull: number;
}

function groupHulls(fleet: FleetTables, groups: MinerGroups): GroupHulls {
  const { offsets, powerW, hashrateThs } = fleet;
  const G = groups.groupCount;
  // Sized for the worst case (every option on its hull), so that nothing grows while filling.
  let maxOptions = 0;
  let totalOptions = 0;
  for (let g = 0; g < G; g++) {
    const r = groups.representative[g]!;
    const count = offsets[r + 1]! - offsets[r]!;
    maxOptions = Math.max(maxOptions, count);
    totalOptions += count;
  }
  const scratch = new Int32Array(maxOptions);
  const hull = new Int32Array(maxOptions);
  const hullStart = new Uint32Array(G + 1);
  const hullRel = new Int32Array(scratchBuffer('hull', 4 * totalOptions), 0, totalOptions);
  let h = 0;
  let maxHull = 0;
  for (let g = 0; g < G; g++) {
    hullStart[g] = h;
    const r = groups.representative[g]!;
    const lo = offsets[r]!;
    const k = hullOf(powerW, hashrateThs, lo, offsets[r + 1]!, scratch, hull);
    maxHull = Math.max(maxHull, k);
    for (let j = 0; j < k; j++) hullRel[h++] = hull[j]! - lo;
  }
  hullStart[G] = h;
  return { hullStart, hullRel: hullRel.slice(0, h), stepCount: h - G, maxHull };
}

/**
 * ΔTH/ΔW of every step in generation order (group, then level) into `ratio`, with their
 * bounds. Step i of group g goes from hull point i + g to the next.
 */
function stepRatios(fleet: FleetTables, groups: MinerGroups, hulls: GroupHulls, ratio: Float64Array): KeyBounds {
  const { offsets, powerW, hashrateThs } = fleet;
  const { hullStart, hullRel } = hulls;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nan = false;
  let s = 0;
  for (let g = 0; g < groups.groupCount; g++) {
    const lo = offsets[groups.representative[g]!]!;
    for (let at = hullStart[g]!; at + 1 < hullStart[g + 1]!; at++) {
      const a = lo + hullRel[at]!;
      const b = lo + hullRel[at + 1]!;
      const k = (hashrateThs[b]! - hashrateThs[a]!) / (powerW[b]! - powerW[a]!);
      ratio[s++] = k;
      if (k < min) min = k;
      if (k > max) max = k;
      if (k !== k) nan = true;
    }
  }
  return { min, max, nan };
}

/**
 * Steps laid out bucket by bucket (in generation order within a bucket), one record of three
 * doubles each: ΔW, ΔTH, and group × `levelScale` + level.
 */
interface BucketedSteps {
  readonly records: Float64Array;
  readonly levelScale: number;
}

/**
 * Writes every step, in generation order, to the next slot of its bucket (its record, and its
 * ratio to `keys`); `starts` become the ends of the buckets. ΔW and ΔTH come from the same
 * subtractions as the ratios.
 *
 * Why: sorting gives each sorted step the position it came from, and reading ΔW, ΔTH and
 * group back from generation order was a random read per step (tens of MB: a cache and TLB
 * miss each, once the slowest part of `prepare` for 1.4 M steps). Laid out by bucket first,
 * a sorted step's source lies within its own bucket, a few hundred steps away.
 */
function bucketSteps(
  fleet: FleetTables, groups: MinerGroups, hulls: GroupHulls, ratio: Float64Array,
  digit: Uint16Array, starts: Uint32Array, keys: Float64Array,
): BucketedSteps {
  const S = hulls.stepCount;
  const records = new Float64Array(scratchBuffer('records', 24 * S), 0, 3 * S);
  // Levels fit below a power of two, so group and level share one exact double.
  const levelScale = 2 ** Math.ceil(Math.log2(Math.max(2, hulls.maxHull)));
  const { offsets, powerW, hashrateThs } = fleet;
  const { hullStart, hullRel } = hulls;
  let s = 0;
  for (let g = 0; g < groups.groupCount; g++) {
    const lo = offsets[groups.representative[g]!]!;
    for (let at = hullStart[g]!; at + 1 < hullStart[g + 1]!; at++) {
      const a = lo + hullRel[at]!;
      const b = lo + hullRel[at + 1]!;
      const d = digit[s]!;
      const to = starts[d]!;
      starts[d] = to + 1;
      records[3 * to] = powerW[b]! - powerW[a]!;
      records[3 * to + 1] = hashrateThs[b]! - hashrateThs[a]!;
      records[3 * to + 2] = g * levelScale + (at - hullStart[g]!);
      keys[to] = ratio[s]!;
      s++;
    }
  }
  return { records, levelScale };
}

/**
 * The steps by decreasing ΔTH/ΔW. A group's own steps have strictly decreasing ratios (hull),
 * so they stay in level order; ties between groups: lower group first, for reproducibility.
 * Both come from sorting the steps stably from generation order (group, then level): laid
 * out by bucket of leading ratio bits, then sorted within each bucket (`bucket-sort.ts`).
 * The bucketed ratios live in sDTH and the sorted positions in sGroup until the gather
 * overwrites them.
 */
function sortSteps(fleet: FleetTables, groups: MinerGroups, hulls: GroupHulls) {
  const S = hulls.stepCount;
  const sGroup = new Int32Array(S);
  const sDW = new Float64Array(S);
  const sDTH = new Float64Array(S);
  const ratio = new Float64Array(scratchBuffer('ratio', 8 * S), 0, S);
  const shared = sharedLeadingBits(stepRatios(fleet, groups, hulls, ratio));
  const digit = new Uint16Array(scratchBuffer('digit', 2 * S), 0, S);
  const ends = bucketStarts(ratio, shared, digit);
  const bucketed = bucketSteps(fleet, groups, hulls, ratio, digit, ends, sDTH);
  sortWithinBuckets(sDTH, ends, shared, new Uint32Array(sGroup.buffer));
  const sorted = { sGroup, sLevel: hulls.maxHull <= 256 ? new Uint8Array(S) : new Int32Array(S), sDW, sDTH };
  const blocks = newBlocks(S);
  gatherSorted(bucketed, groups, sorted, blocks);
  blockSuffixMin(blocks);
  return { stepCount: S, ...sorted, ...blocks };
}

/**
 * Fills the sorted step arrays from `sGroup`, which holds the bucketed position of each sorted
 * step on entry. In place: position r is read before it is overwritten.
 *
 * Each hot loop of the planner lives in a function of its own: the engine optimises a long
 * loop while it runs (on-stack replacement), and code after the loop that has never run
 * would otherwise throw the optimised code away.
 */
function gatherSorted(
  from: BucketedSteps,
  groups: MinerGroups,
  out: { sGroup: Int32Array; sLevel: Uint8Array | Int32Array; sDW: Float64Array; sDTH: Float64Array },
  blocks: StepBlocks,
): void {
  const { sGroup, sLevel, sDW, sDTH } = out;
  const { memberStart } = groups;
  const { blockMinDW, blockMembers } = blocks;
  const { records, levelScale } = from;
  for (let r = 0; r < sGroup.length; r++) {
    const i = sGroup[r]!;
    const dW = records[3 * i]!;
    const code = records[3 * i + 2]!;
    const g = Math.floor(code / levelScale);
    sDW[r] = dW;
    sDTH[r] = records[3 * i + 1]!;
    sGroup[r] = g;
    sLevel[r] = code - g * levelScale;
    const b = (r / STEP_BLOCK) | 0;
    if (dW < blockMinDW[b]!) blockMinDW[b] = dW;
    blockMembers[b] = blockMembers[b]! + (memberStart[g + 1]! - memberStart[g]!);
  }
}

interface StepBlocks {
  readonly blockMinDW: Float64Array;
  readonly blockSuffixMinDW: Float64Array;
  readonly blockMembers: Float64Array;
}

function newBlocks(stepCount: number): StepBlocks {
  const B = Math.ceil(stepCount / STEP_BLOCK);
  return {
    blockMinDW: new Float64Array(B).fill(Number.POSITIVE_INFINITY),
    blockSuffixMinDW: new Float64Array(B + 1),
    blockMembers: new Float64Array(B),
  };
}

function blockSuffixMin({ blockMinDW, blockSuffixMinDW }: StepBlocks): void {
  const B = blockMinDW.length;
  blockSuffixMinDW[B] = Number.POSITIVE_INFINITY;
  for (let b = B - 1; b >= 0; b--) blockSuffixMinDW[b] = Math.min(blockMinDW[b]!, blockSuffixMinDW[b + 1]!);
}

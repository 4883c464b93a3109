import type { FleetTables } from './fleet-tables.js';
import { upperHull } from './hull.js';
import { argsortDescending } from './radix-sort.js';

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
 * Everything about a fleet that does not depend on the budget: hulls and all hull steps
 * sorted by decreasing ΔTH/ΔW, with prefix sums. A budget change re-uses it (`solve`),
 * which is the common case: GPU jobs come and go many times a minute, the fleet rarely
 * changes.
 */
export interface PreparedFleet {
  readonly fleet: FleetTables;
  readonly minerCount: number;
  readonly zoneOf: Int32Array | undefined;
  readonly zoneCount: number;
  /** Miner m's hull is `hullOption[hullStart[m] … hullStart[m+1]-1]` (absolute option ids). */
  readonly hullStart: Uint32Array;
  readonly hullOption: Int32Array;
  /** Miner m's steps in miner-major order are `stepStart[m] … stepStart[m+1]-1`. */
  readonly stepStart: Uint32Array;
  /** Sorted position of each miner-major step. */
  readonly rankOf: Uint32Array;
  /** Power and hashrate with every miner at its hull base (or fixed). */
  readonly baseW: number;
  readonly baseThs: number;
  readonly zoneBaseW: Float64Array;
  readonly excluded: Uint8Array;
  /** Sorted steps (best ΔTH/ΔW first). */
  readonly stepCount: number;
  readonly sMiner: Int32Array;
  /** Hull level of the miner before the step (the step raises it by one). */
  readonly sLevel: Int32Array;
  readonly sDW: Float64Array;
  readonly sDTH: Float64Array;
  /** prefixDW[k] = ΔW of the first k sorted steps. */
  readonly prefixDW: Float64Array;
  readonly prefixDTH: Float64Array;
  /** suffixMinDW[k] = smallest ΔW among sorted steps k …; lets the fill loop stop early. */
  readonly suffixMinDW: Float64Array;
}

export function prepare(fleet: FleetTables, constraints: MinerConstraints = {}): PreparedFleet {
  const n = fleet.minerCount;
  const { offsets, powerW, hashrateThs } = fleet;
  const pinned = constraints.pinned;
  const excludedW = constraints.excludedW;
  const zoneOf = constraints.zoneOf;
  const zoneCount = constraints.zoneCount ?? 0;

  let maxOptions = 0;
  for (let m = 0; m < n; m++) maxOptions = Math.max(maxOptions, offsets[m + 1]! - offsets[m]!);
  const scratch = new Int32Array(maxOptions);
  const hull = new Int32Array(maxOptions);

  const total = offsets[n]!;
  const hullStart = new Uint32Array(n + 1);
  const hullOption = new Int32Array(total);
  const stepStart = new Uint32Array(n + 1);
  const excluded = new Uint8Array(n);
  const zoneBaseW = new Float64Array(zoneCount);
  // Miner-major steps, sorted afterwards.
  const mmMiner = new Int32Array(total);
  const mmLevel = new Int32Array(total);
  const mmDW = new Float64Array(total);
  const mmDTH = new Float64Array(total);
  const mmRatio = new Float64Array(total);

  let baseW = 0;
  let baseThs = 0;
  let h = 0;
  let s = 0;
  for (let m = 0; m < n; m++) {
    hullStart[m] = h;
    stepStart[m] = s;
    const lo = offsets[m]!;
    const hi = offsets[m + 1]!;
    const z = zoneOf ? zoneOf[m]! : -1;
    const ex = excludedW ? excludedW[m]! : Number.NaN;
    if (!Number.isNaN(ex)) {
      excluded[m] = 1;
      baseW += ex;
      if (z >= 0) zoneBaseW[z] = zoneBaseW[z]! + ex;
      continue;
    }
    if (hi === lo) throw new RangeError(`miner #${m} has no options`);
    const pin = pinned ? pinned[m]! : -1;
    if (pin >= 0) {
      if (pin >= hi - lo) throw new RangeError(`miner #${m}: pinned option ${pin} out of range`);
      hullOption[h++] = lo + pin;
      baseW += powerW[lo + pin]!;
      baseThs += hashrateThs[lo + pin]!;
      if (z >= 0) zoneBaseW[z] = zoneBaseW[z]! + powerW[lo + pin]!;
      continue;
    }
    const k = upperHull(powerW, hashrateThs, lo, hi, scratch, hull);
    const base = hull[0]!;
    baseW += powerW[base]!;
    baseThs += hashrateThs[base]!;
    if (z >= 0) zoneBaseW[z] = zoneBaseW[z]! + powerW[base]!;
    hullOption[h++] = base;
    for (let j = 1; j < k; j++) {
      const a = hull[j - 1]!;
      const b = hull[j]!;
      hullOption[h++] = b;
      const dW = powerW[b]! - powerW[a]!;
      const dTH = hashrateThs[b]! - hashrateThs[a]!;
      mmMiner[s] = m;
      mmLevel[s] = j - 1;
      mmDW[s] = dW;
      mmDTH[s] = dTH;
      mmRatio[s] = dTH / dW;
      s++;
    }
  }
  hullStart[n] = h;
  stepStart[n] = s;

  const order = argsortDescending(mmRatio, s);
  const sMiner = new Int32Array(s);
  const sLevel = new Int32Array(s);
  const sDW = new Float64Array(s);
  const sDTH = new Float64Array(s);
  const rankOf = new Uint32Array(s);
  const prefixDW = new Float64Array(s + 1);
  const prefixDTH = new Float64Array(s + 1);
  for (let r = 0; r < s; r++) {
    const i = order[r]!;
    sMiner[r] = mmMiner[i]!;
    sLevel[r] = mmLevel[i]!;
    sDW[r] = mmDW[i]!;
    sDTH[r] = mmDTH[i]!;
    rankOf[i] = r;
    prefixDW[r + 1] = prefixDW[r]! + mmDW[i]!;
    prefixDTH[r + 1] = prefixDTH[r]! + mmDTH[i]!;
  }
  const suffixMinDW = new Float64Array(s + 1);
  suffixMinDW[s] = Number.POSITIVE_INFINITY;
  for (let r = s - 1; r >= 0; r--) suffixMinDW[r] = Math.min(sDW[r]!, suffixMinDW[r + 1]!);

  return {
    fleet, minerCount: n, zoneOf, zoneCount, hullStart, hullOption, stepStart, rankOf,
    baseW, baseThs, zoneBaseW, excluded, stepCount: s, sMiner, sLevel, sDW, sDTH,
    prefixDW, prefixDTH, suffixMinDW,
  };
}

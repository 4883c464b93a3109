import { breakevenThPerW, usdPerMWh, usdPerThDay, type BudgetRequest, type PlanMiner } from '../src/index.js';

/**
 * The planner as it was before the performance work (commit db99419), kept verbatim in
 * substance but written plainly in one place: no groups (every miner is its own group, which
 * the old code showed gives the same answer), one upper hull per miner, every hull step sorted
 * with a comparator, then the same greedy with the same floating-point operations in the same
 * order. The fast planner must return exactly what this returns.
 *
 * Grouping is the one thing left out: the old code moved a group of identical tables as a
 * count and handed the highest levels to the first members. `referencePlan` keeps that by
 * grouping miners on an exact string key of their table and zone, so results are comparable
 * miner by miner.
 */
export interface ReferenceResult {
  readonly feasible: boolean;
  readonly deficitW: number;
  readonly infeasibleZone: string | undefined;
  /** Per miner: index into its own profiles, −1 for an excluded miner. */
  readonly optionIndex: Int32Array;
  readonly powerW: number;
  readonly hashrateThs: number;
  readonly lpBoundThs: number;
  readonly stepsBelowBreakeven: number;
}

interface Group {
  readonly members: number[];
  /** Hull option indices (into the representative's profiles), by increasing power. */
  readonly hull: number[];
}

interface Step {
  readonly group: number;
  readonly level: number;
  readonly dW: number;
  readonly dTH: number;
  readonly ratio: number;
}

export function referencePlan(miners: readonly PlanMiner[], req: BudgetRequest): ReferenceResult {
  const zoneNames: string[] = [];
  const zoneOf = miners.map((m) => {
    if (m.zone === undefined) return -1;
    let z = zoneNames.indexOf(m.zone);
    if (z < 0) z = zoneNames.push(m.zone) - 1;
    return z;
  });
  const zoneCount = zoneNames.length;
  const zoneLimit = zoneNames.map((z) => req.zoneBudgetW?.[z] ?? Number.POSITIVE_INFINITY);
  const floor = req.economics
    ? breakevenThPerW(usdPerMWh(req.economics.energyPricePerMWh), usdPerThDay(req.economics.hashpricePerThDay))
    : 0;

  // Base draw: pinned and excluded miners fixed; free miners grouped by exact table + zone.
  let baseW = 0;
  let baseThs = 0;
  const zoneBaseW = new Array<number>(zoneCount).fill(0);
  const addBase = (m: number, w: number, th: number) => {
    baseW += w;
    baseThs += th;
    if (zoneOf[m]! >= 0) zoneBaseW[zoneOf[m]!] = zoneBaseW[zoneOf[m]!]! + w;
  };
  const fixed = new Int32Array(miners.length).fill(-2); // −2 free, −1 excluded, ≥ 0 pinned option
  const groupKey = new Map<string, number>();
  const groups: Group[] = [];
  miners.forEach((m, i) => {
    if (m.excludedW !== undefined) {
      fixed[i] = -1;
      addBase(i, m.excludedW, 0);
    } else if (m.pinnedProfile !== undefined) {
      const at = m.profiles.findIndex((p) => p.name === m.pinnedProfile);
      fixed[i] = at;
      addBase(i, m.profiles[at]!.powerW, m.profiles[at]!.hashrateThs);
    } else {
      const key = `${zoneOf[i]}|${m.profiles.map((p) => `${p.powerW},${p.hashrateThs}`).join(';')}`;
      let g = groupKey.get(key);
      if (g === undefined) {
        g = groups.length;
        groupKey.set(key, g);
        groups.push({ members: [], hull: upperHull(m) });
      }
      groups[g]!.members.push(i);
    }
  });
  const steps: Step[] = [];
  groups.forEach((gr, g) => {
    const rep = miners[gr.members[0]!]!;
    const base = rep.profiles[gr.hull[0]!]!;
    for (const m of gr.members) addBase(m, base.powerW, base.hashrateThs);
    for (let j = 1; j < gr.hull.length; j++) {
      const a = rep.profiles[gr.hull[j - 1]!]!;
      const b = rep.profiles[gr.hull[j]!]!;
      const dW = b.powerW - a.powerW;
      const dTH = b.hashrateThs - a.hashrateThs;
      steps.push({ group: g, level: j - 1, dW, dTH, ratio: dTH / dW });
    }
  });
  steps.sort((a, b) => b.ratio - a.ratio || a.group - b.group || a.level - b.level);
  const size = (g: number) => groups[g]!.members.length;
  const S = steps.length;
  const prefixDW = [0];
  const prefixDTH = [0];
  for (const s of steps) {
    prefixDW.push(prefixDW[prefixDW.length - 1]! + s.dW * size(s.group));
    prefixDTH.push(prefixDTH[prefixDTH.length - 1]! + s.dTH * size(s.group));
  }
  const suffixMinDW = new Array<number>(S + 1).fill(Number.POSITIVE_INFINITY);
  for (let r = S - 1; r >= 0; r--) suffixMinDW[r] = Math.min(steps[r]!.dW, suffixMinDW[r + 1]!);

  // The greedy.
  let limit = S;
  if (floor > 0) {
    let lo = 0;
    while (lo < limit) {
      const mid = (lo + limit) >>> 1;
      if (steps[mid]!.dTH >= floor * steps[mid]!.dW) lo = mid + 1;
      else limit = mid;
    }
  }
  let stepsBelowBreakeven = 0;
  for (let r = limit; r < S; r++) stepsBelowBreakeven += size(steps[r]!.group);
  let worstDeficit = baseW - req.budgetW;
  let infeasibleZone = -1;
  for (let z = 0; z < zoneCount; z++) {
    const d = zoneBaseW[z]! - zoneLimit[z]!;
    if (d > worstDeficit) {
      worstDeficit = d;
      infeasibleZone = z;
    }
  }
  const levelCount = groups.map((gr) => {
    const c = new Array<number>(gr.hull.length).fill(0);
    c[0] = gr.members.length;
    return c;
  });
  const finish = (feasible: boolean, powerW: number, hashrateThs: number, lpBoundThs: number): ReferenceResult => {
    const optionIndex = new Int32Array(miners.length).fill(-1);
    for (let m = 0; m < miners.length; m++) if (fixed[m]! >= 0) optionIndex[m] = fixed[m]!;
    groups.forEach((gr, g) => {
      let i = 0;
      for (let lv = gr.hull.length - 1; lv >= 0; lv--) {
        for (let c = levelCount[g]![lv]!; c > 0; c--) optionIndex[gr.members[i++]!] = gr.hull[lv]!;
      }
    });
    return {
      feasible, deficitW: feasible ? 0 : worstDeficit,
      infeasibleZone: feasible || infeasibleZone < 0 ? undefined : zoneNames[infeasibleZone],
      optionIndex, powerW, hashrateThs, lpBoundThs, stepsBelowBreakeven,
    };
  };
  if (worstDeficit > 0) return finish(false, baseW, baseThs, baseThs);
  const remaining = req.budgetW - baseW;
  let k = 0;
  let hi = limit;
  while (k < hi) {
    const mid = (k + hi + 1) >>> 1;
    if (prefixDW[mid]! <= remaining) k = mid;
    else hi = mid - 1;
  }
  const lpBoundThs = baseThs + prefixDTH[k]! + (k < limit ? ((remaining - prefixDW[k]!) / steps[k]!.dW) * steps[k]!.dTH : 0);

  const anyZoneLimit = zoneLimit.some((l) => Number.isFinite(l));
  const zoneRem = zoneLimit.map((l, z) => l - zoneBaseW[z]!);
  let rem = remaining;
  let powerW = baseW;
  let hashrateThs = baseThs;
  for (let r = 0; r < limit; r++) {
    if (rem < suffixMinDW[r]!) break;
    const { group: g, level, dW, dTH } = steps[r]!;
    const eligible = levelCount[g]![level]!;
    if (eligible === 0) continue;
    let t = Math.min(eligible, Math.floor(rem / dW));
    const z = zoneOf[groups[g]!.members[0]!]!;
    if (anyZoneLimit && z >= 0) {
      t = Math.min(t, Math.floor(zoneRem[z]! / dW));
      if (t > 0) zoneRem[z] = zoneRem[z]! - t * dW;
    }
    if (t <= 0) continue;
    levelCount[g]![level] = eligible - t;
    levelCount[g]![level + 1] = levelCount[g]![level + 1]! + t;
    rem -= t * dW;
    powerW += t * dW;
    hashrateThs += t * dTH;
  }
  return finish(true, powerW, hashrateThs, lpBoundThs);
}

/** The old hull: sort by (power asc, hashrate desc), drop dominated points and points under a chord. */
function upperHull(m: PlanMiner): number[] {
  const idx = m.profiles.map((_, i) => i);
  const w = (i: number) => m.profiles[i]!.powerW;
  const h = (i: number) => m.profiles[i]!.hashrateThs;
  // Stable sort; the old insertion sort kept input order among equal (power, hashrate).
  idx.sort((a, b) => w(a) - w(b) || h(b) - h(a));
  const out: number[] = [];
  for (const i of idx) {
    if (out.length > 0) {
      const last = out[out.length - 1]!;
      if (h(i) <= h(last) || w(i) === w(last)) continue;
    }
    while (out.length >= 2) {
      const a = out[out.length - 2]!;
      const b = out[out.length - 1]!;
      const cross = (w(b) - w(a)) * (h(i) - h(a)) - (h(b) - h(a)) * (w(i) - w(a));
      if (cross < 0) break;
      out.pop();
    }
    out.push(i);
  }
  return out;
}

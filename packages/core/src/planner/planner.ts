import { breakevenThPerW, usdPerMWh, usdPerThDay } from '../units.js';
import { fleetTables, type FleetTables } from './fleet-tables.js';
import { prepare, type PreparedFleet } from './prepare.js';
import { chosenOption, solve, type Solution } from './solve.js';

export interface PlanOption {
  readonly name: string;
  readonly powerW: number;
  readonly hashrateThs: number;
}

export interface PlanMiner {
  readonly id: string;
  readonly profiles: readonly PlanOption[];
  /** Zone (feeder or cooling zone) the miner sits in. */
  readonly zone?: string;
  /** Operator pin: the miner runs this profile whatever the budget. */
  readonly pinnedProfile?: string;
  /** Excluded from control (maintenance); budgeted at this draw, gets no assignment. */
  readonly excludedW?: number;
}

export interface Economics {
  readonly energyPricePerMWh: number;
  readonly hashpricePerThDay: number;
}

export interface BudgetRequest {
  readonly budgetW: number;
  /** Zone name → budget (W) for the miners in it. */
  readonly zoneBudgetW?: Readonly<Record<string, number>>;
  readonly economics?: Economics;
}

export interface PlanResult {
  readonly feasible: boolean;
  readonly deficitW: number;
  /** `undefined` when the site budget is the binding one. */
  readonly infeasibleZone: string | undefined;
  /**
   * Per miner, in the order of the `FleetPlanner`'s miners: index of the chosen profile in that
   * miner's own `profiles` array, −1 for an excluded miner. Read choices from here to avoid
   * building a map of 100k strings on every solve.
   */
  readonly optionIndex: Int32Array;
  /**
   * Miner id → profile name (excluded miners are absent). Built from `optionIndex` on first
   * read and kept: a solve that nobody reads by name costs no map.
   */
  readonly assignments: ReadonlyMap<string, string>;
  readonly powerW: number;
  readonly hashrateThs: number;
  readonly lpBoundThs: number;
  readonly stepsBelowBreakeven: number;
}

/**
 * The planner for one fleet: validated and prepared once, solved for any number of budgets.
 * Everything budget-independent (hulls, sorted steps) is computed in the constructor, so a
 * new budget costs a binary search and a short fill (about a millisecond for 100k miners).
 */
export class FleetPlanner {
  readonly prepared: PreparedFleet;
  readonly tables: FleetTables;
  private readonly zoneNames: string[];
  /** The last two answers: a controller asks for its budget every tick, and hooks ask a what-if between (policy/fewest-moves.ts). */
  private recent: Array<{ key: string; result: PlanResult }> = [];

  constructor(readonly miners: readonly PlanMiner[]) {
    const n = miners.length;
    const ids = new Set<string>();
    const zoneIndex = new Map<string, number>();
    const pinned = new Int32Array(n).fill(-1);
    const excludedW = new Float64Array(n).fill(Number.NaN);
    const zoneOf = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const m = miners[i]!;
      if (ids.has(m.id)) throw new RangeError(`miners[${i}].id: duplicate id "${m.id}"`);
      ids.add(m.id);
      if (m.zone !== undefined) {
        let z = zoneIndex.get(m.zone);
        if (z === undefined) zoneIndex.set(m.zone, (z = zoneIndex.size));
        zoneOf[i] = z;
      }
      if (m.excludedW !== undefined) excludedW[i] = m.excludedW;
      else if (m.pinnedProfile !== undefined) pinned[i] = pinnedIndex(m, i);
    }
    this.zoneNames = [...zoneIndex.keys()];
    this.tables = fleetTables(miners);
    this.prepared = prepare(this.tables, { pinned, excludedW, zoneOf, zoneCount: zoneIndex.size });
  }

  private names: string[] | undefined;

  /**
   * Every option's name, flat: miner m's option j is `optionNames[tables.offsets[m] + j]`.
   * Reading a chosen profile's name from here instead of from the miner's option object is
   * one read in one array, not three objects scattered over the heap (~230 ns a miner at
   * 10,000 miners, most of a step). Built on first use.
   */
  get optionNames(): readonly string[] {
    if (!this.names) {
      const names: string[] = new Array(this.tables.offsets[this.miners.length]!);
      let at = 0;
      for (const m of this.miners) for (const p of m.profiles) names[at++] = p.name;
      this.names = names;
    }
    return this.names;
  }

  /** Lowest draw the fleet can reach (every miner at its lowest-power option). */
  get minimumW(): number {
    return this.prepared.baseW;
  }

  solve(req: BudgetRequest): PlanResult {
    const zoneBudgetW = this.zoneNames.map((z) => req.zoneBudgetW?.[z] ?? Number.POSITIVE_INFINITY);
    const minThPerW = req.economics
      ? breakevenThPerW(usdPerMWh(req.economics.energyPricePerMWh), usdPerThDay(req.economics.hashpricePerThDay))
      : 0;
    // A controller asks again every tick, mostly with the same budget: same question, same answer.
    const key = `${req.budgetW}|${zoneBudgetW.join(',')}|${minThPerW}`;
    const hit = this.recent.find((e) => e.key === key);
    if (hit) return hit.result;
    const result = this.result(solve(this.prepared, { budgetW: req.budgetW, zoneBudgetW, minThPerW }));
    this.recent = [{ key, result }, ...this.recent.slice(0, 1)];
    return result;
  }

  private result(s: Solution): PlanResult {
    const optionIndex = optionIndices(this.prepared, s);
    const miners = this.miners;
    let assignments: Map<string, string> | undefined;
    return {
      feasible: s.feasible,
      deficitW: s.deficitW,
      infeasibleZone: s.infeasibleZone >= 0 ? this.zoneNames[s.infeasibleZone] : undefined,
      optionIndex,
      // An own, enumerable getter: spreading a result (`{ ...r }`) still copies the map.
      get assignments() {
        return (assignments ??= assignmentMap(miners, optionIndex));
      },
      powerW: s.powerW,
      hashrateThs: s.hashrateThs,
      lpBoundThs: s.lpBoundThs,
      stepsBelowBreakeven: s.stepsBelowBreakeven,
    };
  }
}

/**
 * A result with fields added or replaced, its `assignments` still built only when read: a
 * spread (`{ ...r }`) would call the getter and build a map of every miner's profile on
 * every solve (with the copies made from it, ~6 % of a 2,000-miner backtest in a profile).
 */
export function resultWith<R extends PlanResult, X extends object>(r: R, fields: X): Omit<R, keyof X> & X {
  const d: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(r);
  // A getter in `fields` stays a getter (read when asked for, not now).
  for (const [k, f] of Object.entries(Object.getOwnPropertyDescriptors(fields))) {
    d[k] = f.get ? { get: f.get, enumerable: true, configurable: true } : { value: f.value, enumerable: true, writable: false, configurable: true };
  }
  return Object.defineProperties({}, d) as Omit<R, keyof X> & X;
}

function pinnedIndex(m: PlanMiner, i: number): number {
  const at = m.profiles.findIndex((p) => p.name === m.pinnedProfile);
  if (at < 0) throw new RangeError(`miners[${i}].pinnedProfile: "${m.pinnedProfile}" is not one of miner ${m.id}'s profiles`);
  return at;
}

/** Chosen option per miner, relative to the miner's first option (−1: excluded). */
function optionIndices(p: PreparedFleet, s: Solution): Int32Array {
  const { offsets } = p.fleet;
  const out = new Int32Array(p.minerCount);
  for (let m = 0; m < p.minerCount; m++) {
    const opt = chosenOption(p, s, m);
    out[m] = opt < 0 ? -1 : opt - offsets[m]!;
  }
  return out;
}

function assignmentMap(miners: readonly PlanMiner[], optionIndex: Int32Array): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < miners.length; i++) {
    const at = optionIndex[i]!;
    if (at >= 0) map.set(miners[i]!.id, miners[i]!.profiles[at]!.name);
  }
  return map;
}

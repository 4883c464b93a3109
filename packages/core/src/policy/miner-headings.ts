import type { PlanMiner, PlanOption } from '../planner/planner.js';

/**
 * Where the fewest-moves follower's miners head, read from their tables: each table's upper
 * hull and option indices (cached per table, so they survive planner rebuilds), and per
 * planner the headings last read, re-read only for the miners whose heading changed.
 */

/** Per profile table: its hull and the index of each option by name. */
interface MinerOptions {
  readonly hull: readonly PlanOption[];
  readonly indexOf: ReadonlyMap<string, number>;
}

/**
 * Keyed by the table, not the miner: the planner is rebuilt whenever a miner's learned draw
 * moves, and step/plan-miners.ts hands every other miner the same table as before.
 */
const options = new WeakMap<readonly PlanOption[], MinerOptions>();

function optionsOf(m: PlanMiner): MinerOptions {
  let o = options.get(m.profiles);
  if (!o) {
    o = { hull: upperHullOf(m.profiles), indexOf: new Map(m.profiles.map((p, i) => [p.name, i])) };
    options.set(m.profiles, o);
  }
  return o;
}

/** The miner's upper convex hull of (power, hashrate), by increasing power (planner/hull.ts, for one miner). */
export function hullOf(m: PlanMiner): readonly PlanOption[] {
  return optionsOf(m).hull;
}

/** Index of the last hull point drawing less than `w` (−1: none). */
export function below(hull: readonly PlanOption[], w: number): number {
  let lo = 0;
  let hi = hull.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hull[mid]!.powerW < w) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function upperHullOf(profiles: readonly PlanOption[]): PlanOption[] {
  const sorted = [...profiles].sort((a, b) => a.powerW - b.powerW || b.hashrateThs - a.hashrateThs);
  const out: PlanOption[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && (p.hashrateThs <= last.hashrateThs || p.powerW === last.powerW)) continue;
    while (out.length >= 2) {
      const a = out[out.length - 2]!;
      const b = out[out.length - 1]!;
      const cross = (b.powerW - a.powerW) * (p.hashrateThs - a.hashrateThs) - (b.hashrateThs - a.hashrateThs) * (p.powerW - a.powerW);
      if (cross < 0) break;
      out.pop();
    }
    out.push(p);
  }
  return out;
}

const fleets = new WeakMap<readonly PlanMiner[], readonly MinerOptions[]>();

/** Options of every miner of a planner (its miners array is built once per planner). */
function fleetOptions(miners: readonly PlanMiner[]): readonly MinerOptions[] {
  let f = fleets.get(miners);
  if (!f) {
    f = miners.map(optionsOf);
    fleets.set(miners, f);
  }
  return f;
}

/** Where the miners head, as options of the planner's miners (undefined, −1: not the hook's to move). */
export interface Headings {
  readonly at: readonly (PlanOption | undefined)[];
  readonly atIndex: Int32Array;
  readonly hulls: readonly (readonly PlanOption[])[];
  /** Per miner: its last hull point drawing less than where it heads (`below`), kept so that a scan does not search every hull. */
  readonly below: Int32Array;
}

/**
 * Per planner (its miners array), the last headings read: step/plan-miners.ts hands the same
 * `current` array while no miner's heading changed, and most steps only move the budget; when
 * some did change (a command landed), only theirs are looked up again (callers never change
 * a `current` array once handed over). The name lookups (a map
 * per table, 2,000 a step) were ~5 % of a backtest.
 */
const lastHeadings = new WeakMap<readonly PlanMiner[], { readonly current: ArrayLike<string | undefined>; readonly h: Headings }>();

export function headings(miners: readonly PlanMiner[], current: ArrayLike<string | undefined>): Headings {
  const last = lastHeadings.get(miners);
  if (last?.current === current) return last.h;
  const n = miners.length;
  const options = fleetOptions(miners);
  const at: (PlanOption | undefined)[] = new Array(n);
  const atIndex = new Int32Array(n).fill(-1);
  const hulls: (readonly PlanOption[])[] = new Array(n);
  const under = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const now = current[i];
    if (now === undefined) continue;
    if (last && last.current[i] === now) {
      // Unchanged: what was read for it stands (`atIndex` −1 when it was not the hook's).
      const j = last.h.atIndex[i]!;
      if (j >= 0) {
        at[i] = last.h.at[i];
        atIndex[i] = j;
        hulls[i] = last.h.hulls[i]!;
        under[i] = last.h.below[i]!;
      }
      continue;
    }
    const m = miners[i]!;
    if (m.excludedW !== undefined || m.pinnedProfile !== undefined) continue;
    const o = options[i]!;
    const j = o.indexOf.get(now);
    if (j === undefined) continue;
    at[i] = m.profiles[j];
    atIndex[i] = j;
    hulls[i] = o.hull;
    under[i] = below(o.hull, m.profiles[j]!.powerW);
  }
  const h = { at, atIndex, hulls, below: under };
  lastHeadings.set(miners, { current, h });
  return h;
}

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

/**
 * Per planner (its miners array): the hull of every table its miners use, flat, and where
 * each miner's hull lies in it. The follower's scans read these typed arrays, not option
 * objects: at 100,000 miners, reading two objects per miner per scan (the option it heads to
 * and a hull point) was a third of a backtest step.
 */
export interface FleetHulls {
  /** Per miner: its hull's first and one-past-last index in the flat arrays. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Per hull point: its draw, hashrate and option. */
  readonly powerW: Float64Array;
  readonly hashrateThs: Float64Array;
  readonly option: readonly PlanOption[];
}

const fleets = new WeakMap<readonly PlanMiner[], { readonly options: readonly MinerOptions[]; readonly hulls: FleetHulls }>();

/** Which build of `fleetOf` last placed a table's hull, and where (scratch: no map of tables per build). */
const placed = new WeakMap<MinerOptions, { build: number; at: number }>();
let builds = 0;

/**
 * Options and hulls of every miner of a planner (its miners array is built once per planner,
 * and again whenever a learned draw is taken: every 0.6 s at 2,000 devices). Miners sharing a
 * table share its hull's place in the flat arrays.
 */
function fleetOf(miners: readonly PlanMiner[]) {
  let f = fleets.get(miners);
  if (f) return f;
  const build = ++builds;
  const n = miners.length;
  const options: MinerOptions[] = new Array(n);
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  const first: MinerOptions[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = optionsOf(miners[i]!);
    options[i] = o;
    let p = placed.get(o);
    if (!p) placed.set(o, (p = { build: 0, at: 0 }));
    if (p.build !== build) {
      p.build = build;
      p.at = total;
      total += o.hull.length;
      first.push(o);
    }
    start[i] = p.at;
    end[i] = p.at + o.hull.length;
  }
  const option: PlanOption[] = new Array(total);
  const powerW = new Float64Array(total);
  const hashrateThs = new Float64Array(total);
  for (const o of first) {
    let k = placed.get(o)!.at;
    for (const h of o.hull) {
      option[k] = h;
      powerW[k] = h.powerW;
      hashrateThs[k++] = h.hashrateThs;
    }
  }
  f = { options, hulls: { start, end, option, powerW, hashrateThs } };
  fleets.set(miners, f);
  return f;
}

/** Flat index of the last point of the hull `start … end − 1` drawing less than `w` (start − 1: none). */
function below(powerW: Float64Array, start: number, end: number, w: number): number {
  let lo = start;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (powerW[mid]! < w) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Where the miners head (NaN, −1: not the hook's to move). Callers never write to these arrays. */
export interface Headings {
  readonly hulls: FleetHulls;
  /** Per miner: the index of the option it heads to in its own profiles. */
  readonly atIndex: Int32Array;
  /** Per miner: that option's draw and hashrate. */
  readonly atW: Float64Array;
  readonly atThs: Float64Array;
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
  const { options, hulls } = fleetOf(miners);
  // Start from what was read last time (unknown everywhere the first time), then read again
  // the miners whose heading changed.
  const atIndex = last ? last.h.atIndex.slice() : new Int32Array(n).fill(-1);
  const atW = last ? last.h.atW.slice() : new Float64Array(n).fill(Number.NaN);
  const atThs = last ? last.h.atThs.slice() : new Float64Array(n).fill(Number.NaN);
  const under = last ? last.h.below.slice() : Int32Array.from(hulls.start, (s) => s - 1);
  for (let i = 0; i < n; i++) {
    const now = current[i];
    if (last && last.current[i] === now) continue;
    atIndex[i] = -1;
    atW[i] = Number.NaN;
    atThs[i] = Number.NaN;
    under[i] = hulls.start[i]! - 1;
    if (now === undefined) continue;
    const m = miners[i]!;
    if (m.excludedW !== undefined || m.pinnedProfile !== undefined) continue;
    const j = options[i]!.indexOf.get(now);
    if (j === undefined) continue;
    const o = m.profiles[j]!;
    atIndex[i] = j;
    atW[i] = o.powerW;
    atThs[i] = o.hashrateThs;
    under[i] = below(hulls.powerW, hulls.start[i]!, hulls.end[i]!, o.powerW);
  }
  const h = { hulls, atIndex, atW, atThs, below: under };
  lastHeadings.set(miners, { current, h });
  return h;
}

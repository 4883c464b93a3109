import { FlooredPlanner, type FlooredResult } from '../planner/floors.js';
import { resultWith, type PlanMiner, type PlanOption } from '../planner/planner.js';
import { fewestMoves } from '../policy/fewest-moves.js';
import type { Policy } from '../policy/policy.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { DeviceState, SiteState } from '../state/site-state.js';

/**
 * A cache of built planners, keyed by what they are built on. Building (hulls, sorted steps)
 * costs milliseconds to hundreds of them; solving for a new budget costs microseconds to a few
 * milliseconds. It never changes an answer, only how fast it comes, so `plan` stays a function
 * of its inputs. Two entries: the plan in force and a what-if (an armed grid event).
 */
export class PlannerMemo {
  private readonly entries: Array<{ key: string; planner: FlooredPlanner }> = [];

  get(key: string, build: () => FlooredPlanner): FlooredPlanner {
    const hit = this.entries.find((e) => e.key === key);
    if (hit) return hit.planner;
    const planner = build();
    this.entries.unshift({ key, planner });
    this.entries.length = Math.min(this.entries.length, 2);
    return planner;
  }
}

export interface MinerPlan {
  /**
   * Per miner of `planner` (the ASIC devices in `state.deviceList` order), its profile;
   * undefined for a miner the planner may not move. What a step reads: no map of every miner.
   */
  readonly targetAt: (k: number) => string | undefined;
  /** Miner id → profile (miners the planner may not move are absent), built on first read. */
  readonly targets: ReadonlyMap<string, string>;
  readonly result: FlooredResult;
  /** The planner it came from (its miners' profiles in planner watts), for hooks that adjust its answer. */
  readonly planner: FlooredPlanner;
  readonly economics: Snapshot['economics'];
  /** Raises the fewest-moves follower left to miners within their dwell (counted with the plan's dwell holds). */
  readonly heldRaises?: number;
  /** Miners the fewest-moves follower moved this step (absent when the planner's answer stands). */
  readonly moves?: number;
}

const planned = new WeakMap<DeviceState, { table: readonly PlanOption[]; bias: number; profiles: PlanOption[] }>();

/**
 * A miner's profiles in planner watts (each row × its learned bias, sleep as is). The same
 * array while its table and bias stay, so what is cached per table (policy/fewest-moves.ts)
 * survives the planner's rebuilds for other miners' changes.
 */
function plannedProfiles(d: DeviceState): PlanOption[] {
  const table: readonly PlanOption[] = d.inv.kind === 'asic' ? d.inv.profiles : [];
  const bias = d.plannedBias;
  const hit = planned.get(d);
  if (hit && hit.table === table && hit.bias === bias) return hit.profiles;
  const profiles = table.map((p) => (p.name === 'sleep' ? p : { ...p, powerW: p.powerW * bias }));
  planned.set(d, { table, bias, profiles });
  return profiles;
}

/**
 * The miners' profiles for a budget (W, all miners together, fixed ones included): planned
 * on learned draws (each table × the miner's bias, sleep as is), pins held, floors and
 * maximums of ASIC classes held, fixed miners at their budget.
 */
export function planMiners(snap: Snapshot, state: SiteState, budgetW: number, memo: PlannerMemo): MinerPlan {
  const key = `${state.fleetVersion}|${snap.exclusionKey}`;
  const planner = memo.get(key, () => {
    const miners: PlanMiner[] = [];
    for (const d of state.deviceList) {
      if (d.inv.kind !== 'asic') continue;
      const zone = snap.zones.of.get(d.id) ?? '';
      const fixed = snap.excluded.get(d.id);
      if (fixed !== undefined) {
        miners.push({ id: d.id, profiles: d.inv.profiles, excludedW: fixed, zone });
        continue;
      }
      const profiles = plannedProfiles(d);
      const pin = state.overrides.get(d.id)?.pinnedProfile;
      miners.push({ id: d.id, profiles, zone, ...(pin && profiles.some((p) => p.name === pin) ? { pinnedProfile: pin } : {}) });
    }
    return new FlooredPlanner(miners);
  });
  const result = planner.solve({
    budgetW: Math.max(0, budgetW), zoneBudgetW: snap.zones.maxW, floors: snap.zones.floors, ...(snap.economics ? { economics: snap.economics } : {}),
  });
  const { optionIndex } = result;
  const names = planner.planner.optionNames;
  const offsets = planner.planner.tables.offsets;
  const targetAt = (k: number) => {
    const at = optionIndex[k]!;
    return at >= 0 ? names[offsets[k]! + at] : undefined;
  };
  return minerPlan({ targetAt, result, planner, economics: snap.economics }, () => result.assignments);
}

/** A plan whose `targets` map is built from `byId` on first read (never by a spread: build plans with this). */
function minerPlan(fields: Omit<MinerPlan, 'targets'>, byId: () => ReadonlyMap<string, string>): MinerPlan {
  return Object.defineProperty({ ...fields }, 'targets', { get: () => byId(), enumerable: true }) as MinerPlan;
}

const matched = new WeakSet<FlooredPlanner>();

/**
 * The planner's miners are the snapshot's miners, one for one (checked once per planner: its
 * memo key holds the fleet version, and the device list only grows with it). Then a miner's
 * plan is read by its position, not looked up by id.
 */
export function plansDevices(planner: FlooredPlanner, snap: Snapshot, list: SiteState['deviceList']): boolean {
  if (planner.miners.length !== snap.miners.length) return false;
  if (matched.has(planner)) return true;
  for (let k = 0; k < snap.miners.length; k++) if (planner.miners[k]!.id !== list[snap.miners[k]!]!.id) return false;
  matched.add(planner);
  return true;
}

/** The last answer of `followBudget` and what it was given: the same inputs give it again without the work. */
interface FollowMemo {
  readonly planner: FlooredPlanner;
  readonly budgetW: number;
  readonly optimalW: number;
  readonly optimalThs: number;
  readonly current: (string | undefined)[];
  readonly held: Uint8Array;
  readonly out: MinerPlan;
}

const follows = new WeakMap<PlannerMemo, FollowMemo>();

/** Every miner heads where it did and is held as it was (a loop: `every` would skip unknown miners' holes). */
function sameHeading(current: readonly (string | undefined)[], held: Uint8Array, last: FollowMemo): boolean {
  for (let i = 0; i < current.length; i++) if (current[i] !== last.current[i] || held[i] !== last.held[i]) return false;
  return true;
}

/**
 * The planner's answer, or with `policy.moves.mode: 'fewest'` the same budget met by moving as
 * few miners as possible from where they are heading (policy/fewest-moves.ts). The planner's
 * answer stands where a single move cannot see what binds: ASIC floors or maximums, the price
 * stop, an infeasible budget.
 */
export function followBudget(snap: Snapshot, state: SiteState, policy: Policy, budgetW: number, plan: MinerPlan, memo: PlannerMemo): MinerPlan {
  const r = plan.result;
  if (policy.moves.mode !== 'fewest' || !r.feasible || r.stepsBelowBreakeven > 0) return plan;
  if (snap.zones.floors.some((f) => f.minW > 0) || Object.keys(snap.zones.maxW).length > 0) return plan;
  budgetW = Math.max(0, budgetW);
  // Per planner miner (they are the ASIC devices in list order: its key holds the fleet
  // version), where it is heading and whether its dwell holds it.
  const { planner, economics } = plan;
  const miners = planner.miners;
  const list = state.deviceList;
  let current: (string | undefined)[] = new Array(miners.length);
  let held: Uint8Array = new Uint8Array(miners.length);
  const last = follows.get(memo);
  if (!plansDevices(planner, snap, list)) return plan;
  const at = snap.miners;
  for (let k = 0; k < at.length; k++) {
    const i = at[k]!;
    const h = snap.heading[i];
    if (h !== undefined) {
      current[k] = h;
      held[k] = snap.inDwell[i]!;
    }
  }
  // Most steps ask the same question as the one before (nothing commanded, budget unchanged),
  // and most of the rest only move the budget: the same arrays then (fewestMoves keeps what
  // it read from them).
  if (last && last.planner === planner && sameHeading(current, held, last)) {
    if (last.budgetW === budgetW && last.optimalW === r.powerW && last.optimalThs === r.hashrateThs) return last.out;
    current = last.current;
    held = last.held;
  }

  const moved = fewestMoves({
    miners, optimal: () => r.assignments, optimalIndex: r.optionIndex, optimalAt: plan.targetAt, optimalW: r.powerW, optimalThs: r.hashrateThs, current, budgetW,
    held, tables: planner.planner.tables, hashrateAt: (w) => planner.solve({ budgetW: w, ...(economics ? { economics } : {}) }).hashrateThs,
  }, policy.moves);
  const out = moved.rebalanced ? plan
    : minerPlan({
      targetAt: moved.targetAt, planner, economics, heldRaises: moved.heldRaises, moves: moved.moved,
      result: resultWith(r, {
        get assignments() {
          return moved.targets;
        },
        powerW: moved.powerW, hashrateThs: moved.hashrateThs,
      }),
    }, () => moved.targets);
  follows.set(memo, { planner, budgetW, optimalW: r.powerW, optimalThs: r.hashrateThs, current, held, out });
  return out;
}

import { FlooredPlanner, type FlooredResult } from '../planner/floors.js';
import type { PlanMiner } from '../planner/planner.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { SiteState } from '../state/site-state.js';

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
  /** Miner id → profile (miners the planner may not move are absent). */
  readonly targets: ReadonlyMap<string, string>;
  readonly result: FlooredResult;
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
      const bias = d.plannedBias;
      const profiles = d.inv.profiles.map((p) => (p.name === 'sleep' ? p : { ...p, powerW: p.powerW * bias }));
      const pin = state.overrides.get(d.id)?.pinnedProfile;
      miners.push({ id: d.id, profiles, zone, ...(pin && profiles.some((p) => p.name === pin) ? { pinnedProfile: pin } : {}) });
    }
    return new FlooredPlanner(miners);
  });
  const result = planner.solve({
    budgetW: Math.max(0, budgetW), zoneBudgetW: snap.zones.maxW, floors: snap.zones.floors, ...(snap.economics ? { economics: snap.economics } : {}),
  });
  return { targets: result.assignments, result };
}

import { FleetPlanner, resultWith, type BudgetRequest, type PlanMiner, type PlanResult } from './planner.js';

/** A zone (here: an ASIC priority class) that keeps at least `minW` against lower ranks. */
export interface ZoneFloor {
  readonly zone: string;
  readonly minW: number;
}

export interface FlooredResult extends PlanResult {
  /** Planned draw per zone (W); miners without a zone under ''. */
  readonly zoneW: Map<string, number>;
  /** Zones whose floor bound (planned alone at their floor, the rest planned around them). */
  readonly heldFloors: string[];
}

/**
 * FleetPlanner plus zone floors held in rank order. The unconstrained optimum is kept when it
 * already gives every floor zone its floor. Otherwise the first zone below its floor is
 * planned on its own at exactly its floor (with concave hulls a bound floor is met with
 * equality, so nothing is lost by fixing it), its miners are budgeted at that plan, and the
 * rest is planned again; then the next floor. A floor never takes more than the budget
 * leaves after every other miner's lowest draw, so floors give way to the site budget (grid
 * caps, higher-ranked GPU jobs) before anything goes over. Floors ignore the price stop:
 * a hosting client's floor is paid for whatever the energy costs.
 */
export class FlooredPlanner {
  readonly planner: FleetPlanner;
  private readonly byId: Map<string, PlanMiner>;
  private readonly zoneMiners = new Map<string, PlanMiner[]>();
  private readonly zonePlanners = new Map<string, FleetPlanner>();
  /** Re-planning around held floors, by the held assignment (floors bind the same way for a while). */
  private readonly restPlanners = new Map<string, FleetPlanner>();
  private readonly wrapped = new WeakMap<PlanResult, FlooredResult>();

  constructor(readonly miners: readonly PlanMiner[]) {
    this.planner = new FleetPlanner(miners);
    this.byId = new Map(miners.map((m) => [m.id, m]));
    for (const m of miners) {
      const z = m.zone ?? '';
      const list = this.zoneMiners.get(z) ?? [];
      list.push(m);
      this.zoneMiners.set(z, list);
    }
  }

  solve(req: BudgetRequest & { readonly floors?: readonly ZoneFloor[] }): FlooredResult {
    let result = this.planner.solve(req);
    let planner = this.planner;
    const held = new Map<string, string>();
    const heldFloors: string[] = [];
    for (const f of req.floors ?? []) {
      const members = this.zoneMiners.get(f.zone);
      if (!members || f.minW <= 0) continue;
      const zp = this.zonePlanner(f.zone);
      const othersMinW = planner.minimumW - zp.minimumW;
      const capacityW = members.reduce((s, m) => s + this.drawW(m, undefined, 'max'), 0);
      const wantW = Math.min(f.minW, capacityW, req.zoneBudgetW?.[f.zone] ?? Number.POSITIVE_INFINITY, req.budgetW - othersMinW);
      if (this.zoneW(result, f.zone) >= wantW - 1e-6) continue;
      const alone = zp.solve({ budgetW: Math.max(wantW, zp.minimumW) });
      for (const [id, p] of alone.assignments) held.set(id, p);
      heldFloors.push(f.zone);
      const key = [...held].map(([id, p]) => `${id}=${p}`).join('|');
      planner = this.restPlanners.get(key) ?? this.restPlanner(key, held);
      result = planner.solve(req);
    }
    if (heldFloors.length === 0 && this.zoneMiners.size <= 1) {
      // The planner answers a repeated budget with the same result: so does this.
      let out = this.wrapped.get(result);
      if (!out) {
        out = resultWith(result, { zoneW: new Map([[this.miners[0]?.zone ?? '', result.powerW]]), heldFloors });
        this.wrapped.set(result, out);
      }
      return out;
    }
    const assignments = new Map(result.assignments);
    for (const [id, p] of held) assignments.set(id, p);
    let powerW = 0;
    let hashrateThs = 0;
    const zoneW = new Map<string, number>();
    // Per miner, as the assignments say (held miners were excluded from the rest's solve).
    const optionIndex = new Int32Array(this.miners.length);
    this.miners.forEach((m, i) => {
      const p = assignments.get(m.id);
      const w = this.drawW(m, p, 'min');
      powerW += w;
      optionIndex[i] = p === undefined ? -1 : m.profiles.findIndex((x) => x.name === p);
      hashrateThs += optionIndex[i]! < 0 ? 0 : m.profiles[optionIndex[i]!]!.hashrateThs;
      zoneW.set(m.zone ?? '', (zoneW.get(m.zone ?? '') ?? 0) + w);
    });
    return { ...result, assignments, optionIndex, powerW, hashrateThs, zoneW, heldFloors };
  }

  /** Draw of a miner at profile `p`; excluded miners at their budgeted draw; no profile: the min or max. */
  private drawW(m: PlanMiner, p: string | undefined, otherwise: 'min' | 'max'): number {
    if (m.excludedW !== undefined) return m.excludedW;
    const at = p ?? m.pinnedProfile;
    if (at !== undefined) return m.profiles.find((x) => x.name === at)?.powerW ?? 0;
    const ws = m.profiles.map((x) => x.powerW);
    return otherwise === 'min' ? Math.min(...ws) : Math.max(...ws);
  }

  private zoneW(r: PlanResult, zone: string): number {
    return (this.zoneMiners.get(zone) ?? []).reduce((s, m) => s + this.drawW(m, r.assignments.get(m.id), 'min'), 0);
  }

  private zonePlanner(zone: string): FleetPlanner {
    let p = this.zonePlanners.get(zone);
    if (!p) {
      p = new FleetPlanner(this.zoneMiners.get(zone)!.map(({ zone: _z, ...m }) => m));
      this.zonePlanners.set(zone, p);
    }
    return p;
  }

  private restPlanner(key: string, held: Map<string, string>): FleetPlanner {
    const p = new FleetPlanner(this.miners.map((m) => {
      const h = held.get(m.id);
      return h === undefined ? m : { id: m.id, profiles: m.profiles, excludedW: this.drawW(this.byId.get(m.id)!, h, 'min'), ...(m.zone !== undefined ? { zone: m.zone } : {}) };
    }));
    if (this.restPlanners.size >= 8) this.restPlanners.delete(this.restPlanners.keys().next().value!);
    this.restPlanners.set(key, p);
    return p;
  }
}

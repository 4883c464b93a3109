import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { breakevenThPerW, FleetPlanner, generateFleet, plannerProfiles, usdPerMWh, usdPerThDay, type PlanMiner } from '../src/index.js';
import { dualLpBound, randomFleet } from './random-fleet.js';

const maxW = (m: PlanMiner) => Math.max(...m.profiles.map((p) => p.powerW));
const minW = (m: PlanMiner) => Math.min(...m.profiles.map((p) => p.powerW));
const profileOf = (m: PlanMiner, name: string) => m.profiles.find((p) => p.name === name)!;

function totals(miners: readonly PlanMiner[], assignments: ReadonlyMap<string, string>) {
  let powerW = 0;
  let hashrateThs = 0;
  for (const m of miners) {
    const p = profileOf(m, assignments.get(m.id)!);
    powerW += p.powerW;
    hashrateThs += p.hashrateThs;
  }
  return { powerW, hashrateThs };
}

describe('planner on random non-convex fleets of ≥ 1,000 miners', () => {
  it('gives every miner exactly one of its own profiles, stays within budget, and is within 0.01 % of an independent LP bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1000, max: 2500 }),
        fc.double({ min: 0.3, max: 0.98, noNaN: true }),
        (seed, n, fraction) => {
          const miners = randomFleet(n, seed);
          const lo = miners.reduce((s, m) => s + minW(m), 0);
          const hi = miners.reduce((s, m) => s + maxW(m), 0);
          const budgetW = lo + fraction * (hi - lo);
          const planner = new FleetPlanner(miners);
          const r = planner.solve({ budgetW });
          expect(r.feasible).toBe(true);
          expect(r.assignments.size).toBe(n);
          for (const m of miners) {
            const name = r.assignments.get(m.id);
            expect(m.profiles.some((p) => p.name === name)).toBe(true);
          }
          const t = totals(miners, r.assignments);
          expect(t.powerW).toBeCloseTo(r.powerW, 3);
          expect(t.hashrateThs).toBeCloseTo(r.hashrateThs, 3);
          expect(r.powerW).toBeLessThanOrEqual(budgetW + 1e-6);
          const lp = dualLpBound(miners, budgetW);
          expect(r.lpBoundThs).toBeCloseTo(lp, 3);
          expect(r.hashrateThs).toBeLessThanOrEqual(lp + 1e-6);
          expect((lp - r.hashrateThs) / lp).toBeLessThanOrEqual(1e-4);
        },
      ),
      { numRuns: 12 },
    );
  });
});

/** Exact optimum of a tiny instance by enumeration (independent of everything the planner does). */
function bruteForce(miners: readonly PlanMiner[], budgetW: number): number {
  let best = -Infinity;
  const walk = (i: number, w: number, h: number) => {
    if (w > budgetW) return;
    if (i === miners.length) {
      best = Math.max(best, h);
      return;
    }
    for (const p of miners[i]!.profiles) walk(i + 1, w + p.powerW, h + p.hashrateThs);
  };
  walk(0, 0, 0);
  return best;
}

describe('planner on tiny fleets', () => {
  const tinyMiner = (id: string) =>
    fc.array(
      fc.record({ powerW: fc.integer({ min: 10, max: 3000 }), hashrateThs: fc.double({ min: 0, max: 200, noNaN: true }) }),
      { minLength: 1, maxLength: 5 },
    ).map((ps) => ({ id, profiles: ps.map((p, j) => ({ name: `p${j}`, ...p })) }) as PlanMiner);

  it('never beats the exact optimum, which never beats the LP bound; never over budget', () => {
    fc.assert(
      fc.property(
        fc.tuple(tinyMiner('a'), tinyMiner('b'), tinyMiner('c'), tinyMiner('d')),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (four, fraction, twins) => {
          // Twins share a table, so the planner moves them as one group with a count.
          const miners = twins ? [...four.slice(0, 3), { ...four[0], id: 'a2' }, { ...four[0], id: 'a3' }] : four;
          const lo = miners.reduce((s, m) => s + minW(m), 0);
          const hi = miners.reduce((s, m) => s + maxW(m), 0);
          const budgetW = lo + fraction * (hi - lo);
          const r = new FleetPlanner(miners).solve({ budgetW });
          const opt = bruteForce(miners, budgetW);
          expect(r.powerW).toBeLessThanOrEqual(budgetW + 1e-9);
          expect(r.hashrateThs).toBeLessThanOrEqual(opt + 1e-9);
          expect(opt).toBeLessThanOrEqual(r.lpBoundThs + 1e-6);
          expect(totals(miners, r.assignments).powerW).toBeCloseTo(r.powerW, 6);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports an infeasible budget and by how much', () => {
    const miners = [
      { id: 'a', profiles: [{ name: 'sleep', powerW: 25, hashrateThs: 0 }, { name: 'x', powerW: 900, hashrateThs: 40 }] },
      { id: 'b', profiles: [{ name: 'y', powerW: 800, hashrateThs: 30 }] },
    ];
    const r = new FleetPlanner(miners).solve({ budgetW: 500 });
    expect(r.feasible).toBe(false);
    expect(r.deficitW).toBe(325);
  });
});

describe('groups of identical tables', () => {
  it('collapses a catalog fleet to a few hundred tables and plans each miner on its own table', () => {
    const miners = generateFleet({ miners: 5000, seed: 9 }).map((u) => ({ id: u.id, profiles: plannerProfiles(u) }));
    const planner = new FleetPlanner(miners);
    expect(planner.prepared.groups.groupCount).toBeLessThan(400);
    const r = planner.solve({ budgetW: 10e6 });
    const t = totals(miners, r.assignments);
    expect(t.powerW).toBeCloseTo(r.powerW, 3);
    expect(r.powerW).toBeLessThanOrEqual(10e6);
    expect((r.lpBoundThs - r.hashrateThs) / r.lpBoundThs).toBeLessThan(1e-4);
  });
});

describe('zones, pins and exclusions', () => {
  const fleet = generateFleet({ miners: 300, seed: 3 }).map((u, i) => ({
    id: u.id, profiles: plannerProfiles(u), zone: i % 3 === 0 ? 'hall-a' : i % 3 === 1 ? 'hall-b' : undefined,
  }));

  it('keeps every zone within its own budget as well as the site budget', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.2, max: 1, noNaN: true }), fc.double({ min: 0.2, max: 1, noNaN: true }), fc.double({ min: 0.3, max: 1, noNaN: true }), (fa, fb, fs) => {
        const stock = (zone: string | undefined) => fleet.filter((m) => m.zone === zone).reduce((s, m) => s + profileOf(m, 'default').powerW, 0);
        const zoneBudgetW = { 'hall-a': fa * stock('hall-a'), 'hall-b': fb * stock('hall-b') };
        const budgetW = fs * (stock('hall-a') + stock('hall-b') + stock(undefined));
        const r = new FleetPlanner(fleet).solve({ budgetW, zoneBudgetW });
        if (!r.feasible) return;
        const perZone = new Map<string | undefined, number>();
        let total = 0;
        for (const m of fleet) {
          const p = profileOf(m, r.assignments.get(m.id)!);
          perZone.set(m.zone, (perZone.get(m.zone) ?? 0) + p.powerW);
          total += p.powerW;
        }
        expect(total).toBeLessThanOrEqual(budgetW + 1e-6);
        expect(perZone.get('hall-a')!).toBeLessThanOrEqual(zoneBudgetW['hall-a'] + 1e-6);
        expect(perZone.get('hall-b')!).toBeLessThanOrEqual(zoneBudgetW['hall-b'] + 1e-6);
        expect(r.hashrateThs).toBeLessThanOrEqual(r.lpBoundThs + 1e-6);
      }),
      { numRuns: 40 },
    );
  });

  it('leaves pinned miners on their pin and excluded miners out, budgeting their draw', () => {
    const miners: PlanMiner[] = fleet.map((m, i) =>
      i === 0 ? { ...m, pinnedProfile: '265MHz' } : i === 1 ? { ...m, excludedW: 3000 } : m,
    );
    const planner = new FleetPlanner(miners);
    for (const budgetW of [200_000, 400_000, 800_000]) {
      const r = planner.solve({ budgetW });
      expect(r.assignments.get(miners[0]!.id)).toBe('265MHz');
      expect(r.assignments.has(miners[1]!.id)).toBe(false);
      const t = totals(miners.filter((_, i) => i !== 1), r.assignments);
      expect(t.powerW + 3000).toBeCloseTo(r.powerW, 6);
      expect(r.powerW).toBeLessThanOrEqual(budgetW);
    }
    expect(() => new FleetPlanner([{ ...miners[0]!, pinnedProfile: 'nope' }])).toThrow(/pinnedProfile.*nope/);
  });
});

describe('re-use and economics', () => {
  const miners = generateFleet({ miners: 2000, seed: 11 }).map((u) => ({ id: u.id, profiles: plannerProfiles(u) }));

  it('gives the same answer re-solving a prepared fleet as solving from scratch', () => {
    const planner = new FleetPlanner(miners);
    for (const budgetW of [3e6, 4.5e6, 2e6, 5.5e6]) {
      const a = planner.solve({ budgetW });
      const b = new FleetPlanner(miners).solve({ budgetW });
      expect(a.assignments).toEqual(b.assignments);
      expect(a.hashrateThs).toBe(b.hashrateThs);
    }
  });

  it('takes no step whose marginal revenue is below its marginal energy cost', () => {
    const economics = { energyPricePerMWh: 90, hashpricePerThDay: 0.045 };
    const floor = breakevenThPerW(usdPerMWh(90), usdPerThDay(0.045));
    const budgetW = 1e9; // budget does not bind: only price does
    const r = new FleetPlanner(miners).solve({ budgetW, economics });
    const unbounded = new FleetPlanner(miners).solve({ budgetW });
    expect(r.stepsBelowBreakeven).toBeGreaterThan(0);
    expect(r.hashrateThs).toBeLessThan(unbounded.hashrateThs);
    for (const m of miners) {
      const chosen = profileOf(m, r.assignments.get(m.id)!);
      // Every option above the chosen one adds hashrate at a worse rate than breakeven…
      for (const p of m.profiles) {
        if (p.powerW > chosen.powerW && p.hashrateThs > chosen.hashrateThs) {
          expect((p.hashrateThs - chosen.hashrateThs) / (p.powerW - chosen.powerW)).toBeLessThan(floor * (1 + 1e-6));
        }
      }
      // …and a running miner earns more than its power costs relative to sleep.
      if (chosen.name !== 'sleep') {
        const sleep = profileOf(m, 'sleep');
        expect(chosen.hashrateThs / (chosen.powerW - sleep.powerW)).toBeGreaterThanOrEqual(floor * (1 - 1e-6));
      }
    }
  });

  it('sleeps exactly the miners that are unprofitable at any profile', () => {
    const energyPricePerMWh = 70;
    const hashpricePerThDay = 0.04;
    const floor = breakevenThPerW(usdPerMWh(energyPricePerMWh), usdPerThDay(hashpricePerThDay));
    const r = new FleetPlanner(miners).solve({ budgetW: 1e9, economics: { energyPricePerMWh, hashpricePerThDay } });
    for (const m of miners) {
      const sleep = profileOf(m, 'sleep');
      const bestRatio = Math.max(...m.profiles.filter((p) => p.powerW > sleep.powerW).map((p) => p.hashrateThs / (p.powerW - sleep.powerW)));
      expect(r.assignments.get(m.id) === 'sleep').toBe(bestRatio < floor);
    }
  });
});

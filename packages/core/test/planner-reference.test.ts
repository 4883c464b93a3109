import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FleetPlanner, generateFleet, plannerProfiles, type BudgetRequest, type PlanMiner, type PlanResult } from '../src/index.js';
import { referencePlan, type ReferenceResult } from './planner-reference.js';
import { randomFleet } from './random-fleet.js';

/** Same choices, same totals to the last bit, same bound and flags as the plain reference. */
function expectSame(miners: readonly PlanMiner[], r: PlanResult, ref: ReferenceResult): void {
  expect(r.feasible).toBe(ref.feasible);
  expect(r.deficitW).toBe(ref.deficitW);
  expect(r.infeasibleZone).toBe(ref.infeasibleZone);
  expect(r.powerW).toBe(ref.powerW);
  expect(r.hashrateThs).toBe(ref.hashrateThs);
  expect(r.lpBoundThs).toBe(ref.lpBoundThs);
  expect(r.stepsBelowBreakeven).toBe(ref.stepsBelowBreakeven);
  const want = new Map<string, string>();
  miners.forEach((m, i) => {
    const at = ref.optionIndex[i]!;
    if (at >= 0) want.set(m.id, m.profiles[at]!.name);
  });
  expect(r.assignments).toEqual(want);
  expect(Array.from(r.optionIndex)).toEqual(Array.from(ref.optionIndex));
}

/** A profile table: a few options, watts whole or fractional, drawn from a small pool so that tables repeat. */
const table = (fractional: boolean) =>
  fc.array(
    fc.record({
      powerW: fractional ? fc.double({ min: 5, max: 4000, noNaN: true, noDefaultInfinity: true }) : fc.integer({ min: 5, max: 4000 }),
      hashrateThs: fc.double({ min: 0, max: 250, noNaN: true, noDefaultInfinity: true }).map((x) => x + 0),
    }),
    { minLength: 1, maxLength: 7 },
  );

const fleetCase = fc
  .record({
    fractional: fc.boolean(),
    poolSize: fc.integer({ min: 1, max: 40 }),
    n: fc.integer({ min: 1, max: 250 }),
    zones: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .chain(({ fractional, poolSize, n, zones, seed }) =>
    fc.record({
      pool: fc.array(table(fractional), { minLength: poolSize, maxLength: poolSize }),
      picks: fc.array(
        fc.record({
          table: fc.nat(),
          zone: fc.integer({ min: -1, max: zones - 1 }),
          special: fc.oneof({ weight: 12, arbitrary: fc.constant('free' as const) }, fc.constant('pinned' as const), fc.constant('excluded' as const)),
          pick: fc.nat(),
        }),
        { minLength: n, maxLength: n },
      ),
      zoneFractions: fc.array(fc.option(fc.double({ min: 0, max: 1.05, noNaN: true }), { nil: undefined }), { minLength: zones, maxLength: zones }),
      fraction: fc.double({ min: -0.05, max: 1.05, noNaN: true }),
      price: fc.option(fc.record({ energyPricePerMWh: fc.double({ min: 0, max: 300, noNaN: true }), hashpricePerThDay: fc.double({ min: 0, max: 0.2, noNaN: true }) }), { nil: undefined }),
      seed: fc.constant(seed),
    }),
  )
  .map(({ pool, picks, zoneFractions, fraction, price }) => {
    const miners: PlanMiner[] = picks.map((p, i) => {
      const t = pool[p.table % pool.length]!;
      const profiles = t.map((o, j) => ({ name: `p${j}`, ...o }));
      const m: PlanMiner = { id: `m${i}`, profiles, ...(p.zone >= 0 ? { zone: `z${p.zone}` } : {}) };
      if (p.special === 'pinned') return { ...m, pinnedProfile: profiles[p.pick % profiles.length]!.name };
      if (p.special === 'excluded') return { ...m, excludedW: 100 + (p.pick % 3000) };
      return m;
    });
    const lo = (ms: readonly PlanMiner[]) => ms.reduce((s, m) => s + Math.min(...m.profiles.map((o) => o.powerW)), 0);
    const hi = (ms: readonly PlanMiner[]) => ms.reduce((s, m) => s + Math.max(...m.profiles.map((o) => o.powerW)), 0);
    const zoneBudgetW: Record<string, number> = {};
    zoneFractions.forEach((f, z) => {
      const inZone = miners.filter((m) => m.zone === `z${z}`);
      if (f !== undefined) zoneBudgetW[`z${z}`] = lo(inZone) + f * (hi(inZone) - lo(inZone));
    });
    const req: BudgetRequest = {
      budgetW: lo(miners) + fraction * (hi(miners) - lo(miners)),
      ...(Object.keys(zoneBudgetW).length ? { zoneBudgetW } : {}),
      ...(price ? { economics: price } : {}),
    };
    return { miners, req };
  });

describe('planner equals the plain reference implementation', () => {
  it('on random fleets with repeated and distinct tables, pins, exclusions, zone budgets and a price floor', () => {
    fc.assert(
      fc.property(fleetCase, ({ miners, req }) => {
        expectSame(miners, new FleetPlanner(miners).solve(req), referencePlan(miners, req));
      }),
      { numRuns: 400 },
    );
  });

  it('re-solving one prepared fleet for many budgets gives what the reference gives for each', () => {
    fc.assert(
      fc.property(fleetCase, fc.array(fc.double({ min: 0, max: 1.1, noNaN: true }), { minLength: 1, maxLength: 6 }), ({ miners, req }, fractions) => {
        const planner = new FleetPlanner(miners);
        for (const f of fractions) {
          const r = { ...req, budgetW: req.budgetW * f };
          expectSame(miners, planner.solve(r), referencePlan(miners, r));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('on jittered catalog fleets of a few thousand miners, every table distinct', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1000, max: 3000 }), fc.double({ min: 0.2, max: 1, noNaN: true }), (seed, n, fraction) => {
        const miners = randomFleet(n, seed);
        const stock = miners.reduce((s, m) => s + m.profiles.find((p) => p.name === 'default')!.powerW, 0);
        const req = { budgetW: fraction * stock };
        expectSame(miners, new FleetPlanner(miners).solve(req), referencePlan(miners, req));
      }),
      { numRuns: 8 },
    );
  });

  it('on catalog fleets (groups of hundreds of identical tables) with fractional nudges on some, zones and a price', () => {
    const units = generateFleet({ miners: 6000, seed: 5 });
    let k = 0;
    const miners: PlanMiner[] = units.map((u, i) => ({
      id: u.id,
      // A third of the miners nudged per option (as learned draws do), the rest on catalog tables.
      profiles: plannerProfiles(u).map((p) => ({ ...p, powerW: i % 3 === 0 ? p.powerW + (k++ % 997) * 1e-4 : p.powerW })),
      zone: `hall-${i % 4}`,
    }));
    const stock = units.reduce((s, u) => s + u.profiles.find((p) => p.step === 0)!.powerW, 0);
    const planner = new FleetPlanner(miners);
    for (const f of [0.35, 0.5, 0.7, 0.9, 1.2]) {
      const plain = { budgetW: f * stock };
      expectSame(miners, planner.solve(plain), referencePlan(miners, plain));
      const zoned = { budgetW: f * stock, zoneBudgetW: { 'hall-1': 0.15 * stock, 'hall-3': 0.3 * f * stock } };
      expectSame(miners, planner.solve(zoned), referencePlan(miners, zoned));
      const priced = { budgetW: f * stock, economics: { energyPricePerMWh: 60, hashpricePerThDay: 0.045 } };
      expectSame(miners, planner.solve(priced), referencePlan(miners, priced));
    }
  });
});

describe('PlanResult.optionIndex and the lazy assignments map', () => {
  it('indexes each miner\'s own profiles in constructor order, −1 when excluded; the map agrees and is built once', () => {
    const miners: PlanMiner[] = [
      { id: 'a', profiles: [{ name: 'sleep', powerW: 20, hashrateThs: 0 }, { name: 'low', powerW: 2000, hashrateThs: 90 }, { name: 'high', powerW: 3500, hashrateThs: 120 }] },
      { id: 'b', profiles: [{ name: 'x', powerW: 900, hashrateThs: 30 }], excludedW: 500 },
      { id: 'c', profiles: [{ name: 'high', powerW: 3300, hashrateThs: 125 }, { name: 'sleep', powerW: 15, hashrateThs: 0 }], pinnedProfile: 'sleep' },
      { id: 'd', profiles: [{ name: 'high', powerW: 3300, hashrateThs: 125 }, { name: 'sleep', powerW: 15, hashrateThs: 0 }] },
    ];
    const r = new FleetPlanner(miners).solve({ budgetW: 500 + 15 + 2000 + 3300 });
    expect(Array.from(r.optionIndex)).toEqual([1, -1, 1, 0]);
    const map = r.assignments;
    expect(map).toEqual(new Map([['a', 'low'], ['c', 'sleep'], ['d', 'high']]));
    expect(r.assignments).toBe(map);
    expect({ ...r }.assignments).toBe(map);
  });
});

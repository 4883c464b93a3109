import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MOVES, FleetPlanner, fewestMoves, generateFleet, hullOf, plannerProfiles, type MovesPolicy, type PlanMiner } from '../src/index.js';

const fleet = (n: number, seed: number): PlanMiner[] =>
  generateFleet({ miners: n, seed }).map((u) => ({ id: u.id, profiles: plannerProfiles(u) }));
const profileOf = (m: PlanMiner, name: string) => m.profiles.find((p) => p.name === name)!;
const drawW = (miners: readonly PlanMiner[], targets: ReadonlyMap<string, string>) =>
  miners.reduce((s, m) => s + profileOf(m, targets.get(m.id)!).powerW, 0);
const changed = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>) => [...a].filter(([id, p]) => b.get(id) !== p).length;
const fewest: MovesPolicy = { ...DEFAULT_MOVES, mode: 'fewest' };

function follow(miners: PlanMiner[], current: ReadonlyMap<string, string>, budgetW: number, p = fewest, held?: (id: string) => boolean) {
  const planner = new FleetPlanner(miners);
  const optimal = planner.solve({ budgetW });
  const moved = fewestMoves({
    miners, optimal: () => optimal.assignments, optimalIndex: optimal.optionIndex, optimalW: optimal.powerW, optimalThs: optimal.hashrateThs,
    current: miners.map((m) => current.get(m.id)), budgetW, hashrateAt: (w) => planner.solve({ budgetW: w }).hashrateThs,
    ...(held ? { held: miners.map((m) => (held(m.id) ? 1 : 0)) } : {}),
  }, p);
  return { optimal, moved, planner };
}

describe('fewest moves (policy/fewest-moves.ts)', () => {
  const miners = fleet(40, 7);
  const startW = drawW(miners, new FleetPlanner(miners).solve({ budgetW: 1e12 }).assignments) * 0.9;
  const start = new FleetPlanner(miners).solve({ budgetW: startW }).assignments;

  it('meets a GPU job\'s 2 kW with one miner where the planner moves several, within the budget and close to its hashrate', () => {
    const budgetW = drawW(miners, start) - 2000;
    const { optimal, moved } = follow(miners, start, budgetW);
    expect(changed(optimal.assignments, start)).toBeGreaterThan(3);
    expect(changed(moved.targets, start)).toBe(1);
    expect(moved.rebalanced).toBe(false);
    expect(drawW(miners, moved.targets)).toBeLessThanOrEqual(budgetW);
    expect(moved.powerW).toBeCloseTo(drawW(miners, moved.targets), 6);
    expect(moved.hashrateThs).toBeGreaterThan(optimal.hashrateThs * 0.995);
  });

  it('gives the power back with one move when the job ends, and leaves less than the dead band unused', () => {
    const budgetW = drawW(miners, start) - 2000;
    const down = follow(miners, start, budgetW).moved.targets;
    const back = follow(miners, down, drawW(miners, start)).moved;
    expect(changed(back.targets, down)).toBe(1);
    expect(drawW(miners, start) - drawW(miners, back.targets)).toBeLessThanOrEqual(fewest.deadbandFraction * drawW(miners, start));
    expect(drawW(miners, back.targets)).toBeLessThanOrEqual(drawW(miners, start));
  });

  it('raises nothing within the dead band, and no miner that is held (its dwell)', () => {
    const small = follow(miners, start, drawW(miners, start) + 0.5 * fewest.deadbandFraction * drawW(miners, start)).moved;
    expect(changed(small.targets, start)).toBe(0);
    const allHeld = follow(miners, start, drawW(miners, start) + 3000, fewest, () => true).moved;
    expect(changed(allHeld.targets, start)).toBe(0);
  });

  it('takes the planner\'s answer whole once a move leaves the hashrate beyond the drift bound', () => {
    // Everyone asleep but two miners at their top: far from the planner's answer for the same draw.
    const top = new FleetPlanner(miners).solve({ budgetW: 1e12 }).assignments;
    const skewed = new Map(miners.map((m, i) => [m.id, i < 2 ? top.get(m.id)! : 'sleep']));
    const { optimal, moved } = follow(miners, skewed, drawW(miners, skewed) - 300);
    expect(moved.rebalanced).toBe(true);
    expect(moved.targets).toEqual(optimal.assignments);
    // With no move to make it is checked only when many miners are off the planner's answer.
    const many = new Map(miners.map((m, i) => [m.id, i % 2 ? top.get(m.id)! : 'sleep']));
    expect(follow(miners, many, drawW(miners, many)).moved.rebalanced).toBe(true);
  });

  it('is on the miners\' hulls: a move never lands on a profile the planner would not use', () => {
    const budgetW = drawW(miners, start) - 5000;
    const { moved } = follow(miners, start, budgetW);
    for (const m of miners) {
      const t = moved.targets.get(m.id)!;
      if (t !== start.get(m.id)) expect(hullOf(m).map((o) => o.name)).toContain(t);
    }
  });

  it('never plans above the budget, whatever the miners head for (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 2, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 0.05, noNaN: true }), fc.integer({ min: 1, max: 4 }),
      (seed, n, at, to, drift, maxRaises) => {
        const ms = fleet(n, seed);
        const lo = ms.reduce((s, m) => s + Math.min(...m.profiles.map((p) => p.powerW)), 0);
        const hi = ms.reduce((s, m) => s + Math.max(...m.profiles.map((p) => p.powerW)), 0);
        // Miners heading anywhere on their tables (not only where a planner would put them).
        const current = new Map(ms.map((m, i) => [m.id, m.profiles[Math.floor(((at * 997 * (i + 1)) % 1) * m.profiles.length)]!.name]));
        const budgetW = lo + to * (hi - lo);
        const { optimal, moved, planner } = follow(ms, current, budgetW, { ...fewest, driftFraction: drift, maxRaises });
        expect(drawW(ms, moved.targets)).toBeLessThanOrEqual(Math.max(budgetW, optimal.powerW) + 1e-6);
        expect(moved.powerW).toBeCloseTo(drawW(ms, moved.targets), 3);
        expect(moved.hashrateThs).toBeCloseTo(ms.reduce((s, m) => s + profileOf(m, moved.targets.get(m.id)!).hashrateThs, 0), 3);
        if (!moved.rebalanced) expect(moved.hashrateThs).toBeGreaterThanOrEqual(planner.solve({ budgetW: moved.powerW }).hashrateThs * (1 - drift) - 1e-9);
        expect(moved.moved).toBe(changed(moved.targets, current));
      },
    ), { numRuns: 300, seed: 20261202 });
  });
});

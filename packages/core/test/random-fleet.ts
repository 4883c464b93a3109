import { generateFleet, mulberry32, plannerProfiles, type PlanMiner } from '../src/index.js';

/**
 * Catalog fleets made non-convex on purpose: every option's power and hashrate jittered by a
 * few %, a few dominated junk options added, and options shuffled, as real tuned tables and
 * operator-supplied files can be.
 */
export function randomFleet(miners: number, seed: number): PlanMiner[] {
  const rng = mulberry32(seed);
  return generateFleet({ miners, seed }).map((u) => {
    const profiles = plannerProfiles(u).map((p) => ({
      name: p.name,
      powerW: Math.round(p.powerW * (1 + 0.06 * (rng() - 0.5))),
      hashrateThs: p.hashrateThs * (1 + 0.06 * (rng() - 0.5)),
    }));
    const junk = Math.floor(rng() * 3);
    for (let j = 0; j < junk; j++) {
      const base = profiles[1 + Math.floor(rng() * (profiles.length - 1))]!;
      profiles.push({ name: `junk${j}`, powerW: base.powerW + 50, hashrateThs: base.hashrateThs * 0.9 });
    }
    for (let i = profiles.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [profiles[i], profiles[j]] = [profiles[j]!, profiles[i]!];
    }
    return { id: u.id, profiles };
  });
}

/**
 * LP-relaxation bound computed independently of the planner (no hulls, no sorting): the
 * Lagrangian dual min_λ≥0 λ·B + Σ_m max_j (h_j − λ·w_j), minimised by bisection on its
 * subgradient. For a multiple-choice knapsack this equals the LP optimum.
 */
export function dualLpBound(miners: readonly PlanMiner[], budgetW: number): number {
  const g = (lambda: number) => {
    let value = lambda * budgetW;
    let usedW = 0;
    for (const m of miners) {
      let best = -Infinity;
      let bestW = 0;
      for (const p of m.profiles) {
        const v = p.hashrateThs - lambda * p.powerW;
        if (v > best || (v === best && p.powerW < bestW)) {
          best = v;
          bestW = p.powerW;
        }
      }
      value += best;
      usedW += bestW;
    }
    return { value, slope: budgetW - usedW };
  };
  let lo = 0;
  let hi = 1;
  while (g(hi).slope < 0) hi *= 2;
  if (g(0).slope >= 0) return g(0).value;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (g(mid).slope < 0) lo = mid;
    else hi = mid;
  }
  return Math.min(g(lo).value, g(hi).value);
}

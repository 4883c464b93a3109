import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planTransitions, type DeviceChange } from '../src/index.js';

const change = fc.record({
  currentW: fc.integer({ min: 0, max: 4000 }),
  targetW: fc.integer({ min: 0, max: 4000 }),
  wake: fc.boolean(),
  raiseOrder: fc.integer({ min: 0, max: 1 }),
});

/** Worst case of every step recomputed from scratch, independently of planTransitions. */
function replay(changes: DeviceChange[], steps: ReturnType<typeof planTransitions>['steps'], otherW: number) {
  const done = new Set<string>();
  return steps.map((step) => {
    const inStep = new Set(step.ids);
    let w = otherW;
    for (const c of changes) {
      if (inStep.has(c.id)) w += Math.max(c.currentW, c.targetW);
      else if (done.has(c.id)) w += c.targetW;
      else w += c.currentW;
    }
    step.ids.forEach((id) => done.add(id));
    return w;
  });
}

describe('transitions', () => {
  it('sheds first, then raises; no step from a compliant state exceeds the budget', () => {
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 5 }), fc.double({ min: 0, max: 1, noNaN: true }), (raw, otherW, maxWakes, slack) => {
        const changes = raw.map((c, i) => ({ id: `d${i}`, ...c }));
        const currentTotal = otherW + changes.reduce((s, c) => s + c.currentW, 0);
        const targetTotal = otherW + changes.reduce((s, c) => s + c.targetW, 0);
        // A budget at least what the site draws now (compliant), sometimes below the target total.
        const budgetW = currentTotal + slack * Math.max(0, targetTotal - currentTotal);
        const plan = planTransitions(changes, { budgetW, otherW, maxWakesPerStep: maxWakes });
        const worst = replay(changes, plan.steps, otherW);
        plan.steps.forEach((s, i) => {
          expect(s.worstCaseW).toBeCloseTo(worst[i]!, 6);
          expect(worst[i]!).toBeLessThanOrEqual(budgetW + 1e-9);
        });
        // Sheds only in the first step, and only there.
        plan.steps.forEach((s, i) => expect(s.kind === 'shed').toBe(i === 0 && changes.some((c) => c.targetW < c.currentW)));
        for (const s of plan.steps.filter((x) => x.kind === 'raise')) {
          const wakes = s.ids.filter((id) => changes.find((c) => c.id === id)!.wake).length;
          expect(wakes).toBeLessThanOrEqual(maxWakes);
        }
        // Every change is either in a step or deferred, once.
        const moved = changes.filter((c) => c.targetW !== c.currentW).map((c) => c.id).sort();
        const covered = [...plan.steps.flatMap((s) => s.ids), ...plan.deferred].sort();
        expect(covered).toEqual(moved);
        // Deferrals only happen when the full target would not fit.
        if (targetTotal <= budgetW) expect(plan.deferred).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('from an over-cap state the shed step is no worse than now and later steps are within budget', () => {
    const changes: DeviceChange[] = [
      { id: 'm1', currentW: 3000, targetW: 25 },
      { id: 'm2', currentW: 3000, targetW: 1200 },
      { id: 'g1', currentW: 100, targetW: 700, raiseOrder: 0 },
    ];
    const plan = planTransitions(changes, { budgetW: 3000 });
    expect(plan.steps[0]).toEqual({ kind: 'shed', ids: ['m1', 'm2'], worstCaseW: 6100 });
    expect(plan.steps[1]).toEqual({ kind: 'raise', ids: ['g1'], worstCaseW: 1925 });
    expect(plan.finalW).toBe(1925);
  });

  it('raises GPUs before miners', () => {
    const plan = planTransitions(
      [
        { id: 'm', currentW: 1000, targetW: 2000, raiseOrder: 1 },
        { id: 'g', currentW: 100, targetW: 700, raiseOrder: 0 },
      ],
      { budgetW: 10_000, maxRaisesPerStep: 1 },
    );
    expect(plan.steps.map((s) => s.ids)).toEqual([['g'], ['m']]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planTransitions, type DeviceChange, type TransitionStep } from '../src/index.js';

const change = fc.record({
  currentW: fc.integer({ min: 0, max: 4000 }),
  targetW: fc.integer({ min: 0, max: 4000 }),
  wake: fc.boolean(),
  raiseOrder: fc.integer({ min: 0, max: 1 }),
  group: fc.option(fc.constantFrom('j1', 'j2', 'j3'), { nil: undefined }),
  reserve: fc.boolean(),
});

/**
 * Worst case of every step recomputed from scratch, independently of planTransitions: devices
 * of this step at max(current, target), of earlier steps at their target, the rest as now.
 */
function replay(changes: readonly DeviceChange[], steps: readonly TransitionStep[], otherW: number): number[] {
  const done = new Set<string>();
  return steps.map((step) => {
    const inStep = new Set([...step.shed, ...step.raise]);
    let w = otherW;
    for (const c of changes) {
      if (inStep.has(c.id)) w += Math.max(c.currentW, c.targetW);
      else if (done.has(c.id)) w += c.targetW;
      else w += c.currentW;
    }
    inStep.forEach((id) => done.add(id));
    return w;
  });
}

describe('break before make (sequencing)', () => {
  it('sheds at once; no step from a compliant state exceeds the budget; groups move together', () => {
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
          expect(worst[i]!).toBeLessThanOrEqual(budgetW + 1e-9);
          expect(s.worstCaseW).toBeGreaterThanOrEqual(worst[i]! - 1e-6);
          // Sheds only in the first step.
          if (i > 0) expect(s.shed).toEqual([]);
          const wakes = s.raise.filter((id) => changes.find((c) => c.id === id)!.wake).length;
          expect(wakes).toBeLessThanOrEqual(maxWakes);
        });
        // Every change that moves is in a step or deferred, once; a group all in one place.
        const placed = new Map<string, number>();
        plan.steps.forEach((s, i) => [...s.shed, ...s.raise].forEach((id) => placed.set(id, i)));
        for (const id of plan.deferred) placed.set(id, -1);
        const movedIds = changes.filter((c) => c.targetW !== c.currentW || (c.group && changes.some((o) => o.group === c.group && o.targetW > o.currentW)));
        expect([...plan.steps.flatMap((s) => [...s.shed, ...s.raise]), ...plan.deferred].sort()).toEqual(movedIds.map((c) => c.id).sort());
        for (const g of ['j1', 'j2', 'j3']) {
          const at = new Set(changes.filter((c) => c.group === g && placed.has(c.id) && changes.some((o) => o.group === g && o.targetW > o.currentW)).map((c) => placed.get(c.id)));
          expect(at.size).toBeLessThanOrEqual(1);
        }
        // Deferrals only happen when the full target would not fit.
        // (A group moving some members up and some down may need more than its end state while in flight.)
        if (targetTotal <= budgetW && !changes.some((c) => c.group)) expect(plan.deferred).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('from an over-cap state the first step only sheds, and raises follow once the sheds are confirmed', () => {
    const changes: DeviceChange[] = [
      { id: 'm1', currentW: 3000, targetW: 25 },
      { id: 'm2', currentW: 3000, targetW: 1200 },
      { id: 'g1', currentW: 100, targetW: 700, raiseOrder: 0 },
    ];
    const plan = planTransitions(changes, { budgetW: 3000 });
    expect(plan.steps[0]).toEqual({ shed: ['m1', 'm2'], raise: [], worstCaseW: 6100 });
    expect(plan.steps[1]).toEqual({ shed: [], raise: ['g1'], worstCaseW: 1925 });
    expect(plan.finalW).toBe(1925);
  });

  it('raises alongside sheds only into head-room that exists before the sheds land', () => {
    const plan = planTransitions([
      { id: 'm', currentW: 2000, targetW: 1000 },
      { id: 'g', currentW: 100, targetW: 700, raiseOrder: 0 },
    ], { budgetW: 2800 });
    expect(plan.steps[0]).toEqual({ shed: ['m'], raise: ['g'], worstCaseW: 2700 });
  });

  it('raises GPUs before miners, and a waiting job keeps its power from smaller raises', () => {
    const plan = planTransitions(
      [
        { id: 'm', currentW: 1000, targetW: 2000, raiseOrder: 1 },
        { id: 'g', currentW: 100, targetW: 700, raiseOrder: 0 },
      ],
      { budgetW: 10_000, maxRaisesPerStep: 1 },
    );
    expect(plan.steps.map((s) => s.raise)).toEqual([['g'], ['m']]);
    // 600 W of head-room: the job (1200 W) cannot go, and the 500 W miner raise must not take its power.
    const held = planTransitions([
      { id: 'g1', currentW: 100, targetW: 700, raiseOrder: 0, group: 'job', reserve: true },
      { id: 'g2', currentW: 100, targetW: 700, raiseOrder: 0, group: 'job', reserve: true },
      { id: 'm', currentW: 1000, targetW: 1500, raiseOrder: 1 },
    ], { budgetW: 1800 });
    expect(held.steps).toEqual([]);
    expect([...held.deferred].sort()).toEqual(['g1', 'g2', 'm']);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MOVES, DEFAULT_PRIORITIES } from '../src/index.js';
import { check, scenario } from './model-check.js';

/**
 * The same model-based property as model.test.ts, with the control-quality hooks on: learned
 * and static head-room (policy/gpu-headroom.ts), preemption of a preemptible batch class
 * (admission/preemption.ts) and miners planned in the worst case's units
 * (policy/estimate-gap.ts), the fewest-moves follower (policy/fewest-moves.ts), and the GPU draw credit (policy/gpu-draw-credit.ts) with GPUs that
 * burst: with it the site may use its margin, so the cap checked is the hard one, and with every
 * GPU at its limit at once the site must still fit it. They may change what is admitted when and what the miners run;
 * none may trade the cap, break before make, or the correction of devices off target.
 */
const preemptibleBatch = DEFAULT_PRIORITIES.map((c) => (c.name === 'batch' ? { ...c, preemptible: true } : c));
const runs = Number(process.env.WATTBROKER_PROPERTY_RUNS ?? 200);
const seed = Number(process.env.WATTBROKER_PROPERTY_SEED ?? 20261202);

describe('the control core with its control-quality hooks on, against the model (property)', () => {
  it('learned head-room, preemption and aligned estimates keep every invariant', () => {
    fc.assert(fc.property(scenario, (sc) => {
      expect(check(sc, { policy: { headroom: { mode: 'learned', maxFraction: 0.2 }, preemption: true, alignEstimates: true }, priorities: preemptibleBatch })).toBeUndefined();
    }), { seed, numRuns: runs, endOnFailure: true });
  }, 600_000);

  it('GPU draw credit (settled GPUs budgeted at their draw, within the margin) with bursty GPUs: every GPU at its limit still fits the hard cap', () => {
    for (const mode of ['peak', 'mean'] as const) {
      fc.assert(fc.property(scenario, (sc) => {
        expect(check(sc, {
          // No head-room and no hysteresis band: the miners fill all the credit allows, so an
          // over-generous credit shows (a credit of 4× the margin fails 7 of 40 scenarios).
          policy: { gpuDraw: { mode, windowMs: 2000, bucketMs: 1000 }, hysteresisW: 0, headroom: { mode: 'off' }, preemption: true, alignEstimates: true },
          priorities: preemptibleBatch, gpuBursts: true,
        })).toBeUndefined();
      }), { seed: seed + (mode === 'peak' ? 2 : 3), numRuns: Math.max(1, Math.round(runs / 2)), endOnFailure: true });
    }
  }, 600_000);

  it('fewest moves (budget changes met by moving as few miners as possible) with the GPU draw credit and starts in the margin keeps every invariant', () => {
    fc.assert(fc.property(scenario, (sc) => {
      expect(check(sc, {
        policy: {
          moves: { ...DEFAULT_MOVES, mode: 'fewest', driftFraction: 0.05 }, gpuDraw: { mode: 'mean', windowMs: 2000, bucketMs: 1000, startsInMargin: true },
          hysteresisW: 0, headroom: { mode: 'off' }, preemption: true, alignEstimates: true,
        },
        priorities: preemptibleBatch, gpuBursts: true,
      })).toBeUndefined();
    }), { seed: seed + 4, numRuns: runs, endOnFailure: true });
  }, 600_000);

  it('static head-room (every GPU\'s full power held) keeps every invariant', () => {
    fc.assert(fc.property(scenario, (sc) => {
      expect(check(sc, { policy: { headroom: { mode: 'static' }, preemption: true }, priorities: preemptibleBatch })).toBeUndefined();
    }), { seed: seed + 1, numRuns: Math.max(1, Math.round(runs / 2)), endOnFailure: true });
  }, 600_000);
});

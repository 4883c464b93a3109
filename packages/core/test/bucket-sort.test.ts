import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortIndicesByKeyDescending } from '../src/planner/bucket-sort.js';

/** The order the planner's old comparator gave: decreasing key, ties (and NaN, last) in index order. */
function reference(keys: Float64Array): number[] {
  const nan = (x: number) => (Number.isNaN(x) ? 1 : 0);
  return Array.from(keys, (_, i) => i).sort((a, b) => nan(keys[a]!) - nan(keys[b]!) || keys[b]! - keys[a]! || a - b);
}

const near = (base: number) => fc.integer({ min: -3, max: 3 }).map((u) => base * (1 + u * Number.EPSILON));

describe('bucket sort of float keys, decreasing and stable', () => {
  it('matches a comparator sort on any doubles (signs, ±0, ±∞, NaN, subnormals)', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { maxLength: 300 }), (xs) => {
        const keys = Float64Array.from(xs);
        expect(Array.from(sortIndicesByKeyDescending(keys))).toEqual(reference(keys));
      }),
      { numRuns: 1500 },
    );
  });

  it('matches it on ratios with many exact ties and keys one rounding apart (long runs)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(near(0.0437), near(0.051), fc.double({ min: 0.02, max: 0.09, noNaN: true })), { minLength: 1, maxLength: 3000 }), (xs) => {
        const keys = Float64Array.from(xs);
        expect(Array.from(sortIndicesByKeyDescending(keys))).toEqual(reference(keys));
      }),
      { numRuns: 60 },
    );
  });

  it('matches it on keys that differ only in their last bits, many equal (deep splits)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4000 }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (ulps, base) => {
        const keys = Float64Array.from(ulps, (u) => base * (1 + (u % 7) * Number.EPSILON) + (u > 30 ? base * 1e-7 : 0));
        expect(Array.from(sortIndicesByKeyDescending(keys))).toEqual(reference(keys));
      }),
      { numRuns: 60 },
    );
  });
});

describe('bucket sort edge cases', () => {
  it('puts NaN after a number that shares its bucket', () => {
    expect(Array.from(sortIndicesByKeyDescending(Float64Array.from([0, Number.NaN, -8.98846567431158e307])))).toEqual([0, 2, 1]);
  });
});

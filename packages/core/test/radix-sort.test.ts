import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortIndicesByKeyDescending } from '../src/planner/radix-sort.js';

/** The order the planner's old comparator gave: decreasing key, ties (and NaN, last) in index order. */
function reference(keys: Float64Array): number[] {
  const nan = (x: number) => (Number.isNaN(x) ? 1 : 0);
  return Array.from(keys, (_, i) => i).sort((a, b) => nan(keys[a]!) - nan(keys[b]!) || keys[b]! - keys[a]! || a - b);
}

const near = (base: number) => fc.integer({ min: -3, max: 3 }).map((u) => base * (1 + u * Number.EPSILON));

describe('radix sort of float keys, decreasing and stable', () => {
  it('matches a comparator sort on any doubles (signs, ±0, ±∞, NaN, subnormals)', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { maxLength: 300 }), (xs) => {
        const keys = Float64Array.from(xs);
        expect(Array.from(sortIndicesByKeyDescending(keys))).toEqual(reference(keys));
      }),
      { numRuns: 500 },
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

  it('gives the same order when it borrows scratch arrays that share memory with the keys', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 500 }), (xs) => {
        const keys = Float64Array.from(xs);
        const want = reference(keys);
        const b = Float64Array.from(keys);
        const got = sortIndicesByKeyDescending(b, { a: new Float64Array(keys.length + 3), b, out: new Uint32Array(keys.length + 1) });
        expect(Array.from(got)).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveCap, itBudgetW, sitePowerW, type SiteModel } from '../src/index.js';

const site: SiteModel = {
  contractCapW: 5_000_000,
  safetyMarginW: 100_000,
  cooling: { fixedW: 50_000, fractionOfIt: 0.1 },
  zones: [],
};

describe('site model', () => {
  it('effective cap is the smallest of contract, grid caps and zones, less the margin', () => {
    expect(effectiveCap(site)).toEqual({ effectiveCapW: 4_900_000, limitW: 5_000_000, binding: 'contract' });
    expect(effectiveCap(site, [6e6, 3e6, 4e6])).toEqual({ effectiveCapW: 2_900_000, limitW: 3_000_000, binding: 'grid' });
    const zoned = { ...site, zones: [{ id: 'a', limitW: 1e6 }, { id: 'b', limitW: 2e6 }] };
    expect(effectiveCap(zoned).binding).toBe('zones');
    expect(effectiveCap(zoned).limitW).toBe(sitePowerW(site.cooling, 3e6));
    expect(effectiveCap(site, [50_000]).effectiveCapW).toBe(0);
  });

  it('the IT budget inverts the cooling model', () => {
    fc.assert(
      fc.property(fc.double({ min: 60_000, max: 1e8, noNaN: true }), (capW) => {
        const it = itBudgetW(site.cooling, capW);
        expect(sitePowerW(site.cooling, it)).toBeCloseTo(capW, 3);
      }),
    );
    expect(itBudgetW(site.cooling, 10_000)).toBe(0);
  });
});

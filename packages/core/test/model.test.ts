import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check, scenario } from './model-check.js';

describe('the control core against a model of the site (property)', () => {
  it('keeps the cap, breaks before it makes, and corrects devices that leave their target', () => {
    fc.assert(fc.property(scenario, (sc) => {
      const failure = check(sc);
      expect(failure).toBeUndefined();
    }), { seed: Number(process.env.WATTBROKER_PROPERTY_SEED ?? 20261202), numRuns: Number(process.env.WATTBROKER_PROPERTY_RUNS ?? 200), endOnFailure: true });
  }, 300_000);
});

import { describe, expect, it } from 'vitest';
import { FleetFileSchema, InputError, parseInput } from '../src/index.js';

const good = {
  budgetW: 3000,
  miners: [{ id: 'm-1', profiles: [{ name: 'sleep', powerW: 25, hashrateThs: 0 }, { name: '190MHz', powerW: 784, hashrateThs: 39.2 }] }],
};

function issuesOf(value: unknown) {
  try {
    parseInput(FleetFileSchema, value, 'fleet.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).issues;
  }
  throw new Error('expected a validation error');
}

describe('fleet file', () => {
  it('accepts a valid file', () => {
    expect(parseInput(FleetFileSchema, good, 'fleet.json').miners).toHaveLength(1);
  });

  it('names the bad field with its index', () => {
    const bad = structuredClone(good) as any;
    bad.miners[0].profiles[1].powerW = '784';
    expect(issuesOf(bad)).toEqual([{ field: 'miners[0].profiles[1].powerW', message: expect.stringMatching(/number/) }]);
  });

  it('rejects duplicates, unknown keys, a lone price and a pin to nothing', () => {
    const bad = structuredClone(good) as any;
    bad.miners.push(structuredClone(bad.miners[0]));
    bad.miners[0].profiles.push({ name: 'sleep', powerW: 30, hashrateThs: 0 });
    bad.miners[1].pinnedProfile = 'turbo';
    bad.energyPricePerMWh = 40;
    bad.budgetw = 1;
    const fields = issuesOf(bad).map((i) => i.field).sort();
    expect(fields).toEqual(['budgetw', 'hashpricePerThDay', 'miners[0].profiles[2].name', 'miners[1].id', 'miners[1].pinnedProfile']);
  });

  it('rejects an empty fleet and negative power', () => {
    expect(issuesOf({ miners: [] }).map((i) => i.field)).toEqual(['miners']);
    const bad = structuredClone(good) as any;
    bad.miners[0].profiles[0].powerW = -1;
    expect(issuesOf(bad).map((i) => i.field)).toEqual(['miners[0].profiles[0].powerW']);
  });
});

import { describe, expect, it } from 'vitest';
import { breakevenThPerW, initialStrike, strikeObserve, type StrikeState, usdPerMWh, usdPerThDay } from '../src/index.js';
import { world } from './virtual-site.js';

describe('strike filter', () => {
  it('moves only after N intervals beyond the dead band in one direction', () => {
    let s: StrikeState = initialStrike();
    const feed = (prices: number[]) => prices.map((p) => (s = strikeObserve(s, p, 3, 0.02)).value);
    expect(feed([40])).toEqual([40]);
    expect(feed([95, 96])).toEqual([40, 40]);
    expect(feed([97])).toEqual([97]);
    // Noise around 97 that never stays on one side for 3 intervals changes nothing.
    expect(feed([92, 101, 93, 100, 96, 99, 94])).toEqual([97, 97, 97, 97, 97, 97, 97]);
    expect(feed([97, 60, 61, 59])).toEqual([97, 97, 97, 59]);
    expect(() => strikeObserve(s, 1, 0)).toThrow(/intervals/);
  });
});

describe('price response in the controller', () => {
  it('sleeps exactly the unprofitable miners, and does not cycle them on a noisy price', () => {
    // A big contract: only the price limits the miners.
    const w = world({ miners: 30, gpus: 0, lagMs: 2000, capW: 1e6, seed: 12 });
    const hashprice = 0.05;
    w.c.setHashprice(hashprice);
    const start = 0;
    // 5-minute intervals: cheap for an hour, then ~95 $/MWh with ±6 % noise for three hours.
    const noisy = [95, 100, 90, 99, 91, 97, 93, 100, 92, 96, 94, 99, 90, 98, 93, 97, 95, 92, 99, 94, 96, 91, 100, 95, 93, 98, 92, 97, 94, 96, 99, 91, 95, 97, 93, 96];
    const prices = [...Array(12).fill(40), ...noisy];
    w.c.setEnergyPrice({ kind: 'intervals', intervals: prices.map((p, i) => ({ start: start + i * 300_000, end: start + (i + 1) * 300_000, pricePerMWh: p })) });
    w.run(0, prices.length * 300_000 - 1000);
    const effective = w.c.prices(prices.length * 300_000 - 1000).effectivePricePerMWh!;
    expect(effective).toBeGreaterThan(90);
    const floor = breakevenThPerW(usdPerMWh(effective), usdPerThDay(hashprice));
    let asleep = 0;
    for (const [id, m] of w.miners) {
      const sleep = m.profiles.find((p) => p.name === 'sleep')!;
      // Unprofitable at any profile: no option earns its energy over sleep. The planner sees
      // table figures × the draw it learned (this unit's bias, planned to 1 %).
      const bias = Math.round(m.bias * 100) / 100;
      const best = Math.max(...m.profiles.filter((p) => p.hashrateThs > 0).map((p) => p.hashrateThs / (p.powerW * bias - sleep.powerW)));
      expect(m.profile === 'sleep', `${id} (${m.model}) best ${best.toFixed(4)} vs floor ${floor.toFixed(4)}`).toBe(best < floor);
      if (m.profile === 'sleep') asleep++;
      // One decision per price regime at most: to sleep once, never back and forth.
      const sleeps = m.changes.filter((c) => c.profile === 'sleep').length;
      expect(sleeps).toBeLessThanOrEqual(1);
    }
    expect(asleep).toBeGreaterThan(0);
    expect(asleep).toBeLessThan(30);
  });
});

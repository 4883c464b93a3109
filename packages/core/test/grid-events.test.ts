import { describe, expect, it } from 'vitest';
import { gridEvent, world } from './virtual-site.js';

describe('grid events known in advance', () => {
  it('steps the site down ahead of the start, along the ramp, so it complies at startsAt', () => {
    const capW = 70_000 * 1.1 + 1000;
    const w = world({ miners: 20, gpus: 0, lagMs: 5000, capW });
    w.run(0, 30_000);
    const startsAt = 300_000;
    const eventCap = capW * 0.5;
    w.c.setGridEvents([gridEvent({ id: 'e', capW: eventCap, startsAt, endsAt: 900_000, rampMs: 120_000 })]);
    const seen: Array<{ now: number; site: number; cap: number }> = [];
    w.run(30_250, 400_000, (now) => seen.push({ now, site: w.truth(), cap: w.c.sample(now).effectiveCapW }));
    // The obligation starts at startsAt; the site plans for it from the ramp's start
    // (startsAt − 30 s − 120 s): already down before the start, and gradually.
    expect(seen.filter((x) => x.now < startsAt).every((x) => x.cap === capW - 1000)).toBe(true);
    const before = seen.find((x) => x.now === startsAt - 160_000)!.site;
    const mid = seen.find((x) => x.now === startsAt - 90_000)!.site;
    const ready = seen.find((x) => x.now === startsAt - 1000)!.site;
    expect(mid).toBeLessThan(before);
    expect(mid).toBeGreaterThan(ready);
    expect(ready).toBeLessThanOrEqual(eventCap - 1000);
    expect(w.c.explain()!.reasons.join(' ')).toMatch(/\(grid\)/);
    // Compliant at the start and at every sample of the event.
    for (const x of seen.filter((y) => y.now >= startsAt)) expect(x.site).toBeLessThanOrEqual(eventCap);
    expect(w.violations).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { gridEvent, world } from './virtual-site.js';

describe('operator priorities', () => {
  it('admits a critical job by sleeping fill miners while a standard job waits at the ASIC floor', () => {
    const capW = 70_000 * 1.1 + 1000;
    const w = world({ miners: 20, gpus: 16, lagMs: 2000, capW });
    w.run(0, 40_000);
    const minersW = w.c.sample(40_000).asicW;
    // Floor: 90 % of what the miners draw now. A standard job needing more than the other
    // 10 % cannot take it; a critical one (ranked above the floor) can, below the floor.
    w.c.setPriorities([
      { name: 'critical', kind: 'gpu' },
      { name: 'asic-floor', kind: 'asic', minKw: (minersW * 0.9) / 1000 },
      { name: 'standard', kind: 'gpu' },
      { name: 'asic-fill', kind: 'asic' },
    ]);
    const standard = w.submit('std', 16, 60_000, 40_000, 'standard'); // 11.2 kW ≈ 16 % of the miners
    w.run(40_250, 50_000);
    expect(standard.state).toBe('queued');
    const plan = w.c.explain()!;
    const std = plan.classes.find((c) => c.name === 'standard')!;
    expect(std.waitingJobs).toBe(1);
    expect(std.why).toMatch(/below the [\d.]+ kW floor of higher classes/);

    const critical = w.submit('crit', 14, 20_000, 50_000, 'critical'); // 9.8 kW: miners go below the floor
    w.run(50_250, 60_000);
    expect(critical.state).toBe('running');
    expect(standard.state).toBe('queued');
    expect(w.c.sample(60_000).asicW).toBeLessThan(minersW * 0.9);
    expect(w.violations).toEqual([]);
    const classes = w.c.explain()!.classes;
    expect(classes.find((c) => c.name === 'critical')!.kw).toBeCloseTo(14 * 0.7, 1);
    expect(classes.find((c) => c.name === 'asic-floor')!.why).toMatch(/floor/);
  });

  it('keeps pinned miners on their profile and leaves miners in maintenance alone', () => {
    const w = world({ miners: 6, gpus: 0, lagMs: 1000, capW: 12_000 });
    const [a, b] = [...w.miners.keys()];
    w.c.setOverride(a!, { pinnedProfile: 'default' });
    w.c.setOverride(b!, { maintenance: true });
    w.run(0, 30_000);
    expect(w.miners.get(a!)!.profile).toBe('default');
    expect(w.miners.get(b!)!.changes).toEqual([]);
    expect(w.c.explain()!.excludedMiners).toEqual([b]);
    w.c.setOverride(a!, {});
    w.run(30_250, 60_000);
    expect(w.miners.get(a!)!.profile).not.toBe('default');
  });

  it("holds a hosting client's floor over its own miners while the other miners take a grid cut", () => {
    const cut = (withClass: boolean) => {
      const w = world({ miners: 20, gpus: 0, lagMs: 1000, capW: 200_000 });
      w.run(0, 30_000);
      const ids = [...w.miners.keys()];
      const hosting = ids.slice(0, 6);
      const drawW = (list: string[]) => list.reduce((sum, id) => {
        const m = w.miners.get(id)!;
        const row = m.profiles.find((p) => p.name === m.profile)!;
        return sum + (m.profile === 'sleep' ? row.powerW : row.powerW * m.bias);
      }, 0);
      const hostingBefore = drawW(hosting);
      const siteBefore = w.truth();
      if (withClass) {
        w.c.setPriorities([
          { name: 'critical', kind: 'gpu' },
          { name: 'hosting-a', kind: 'asic', minKw: (hostingBefore * 0.9) / 1000, miners: hosting },
          { name: 'standard', kind: 'gpu' },
          { name: 'asic-fill', kind: 'asic' },
        ]);
      }
      // A grid cap at half the site's draw, known a minute ahead (planned in time).
      w.c.setGridEvents([gridEvent({ id: 'e', capW: siteBefore * 0.5, startsAt: 90_000, endsAt: 900_000 })]);
      w.run(30_250, 150_000);
      return { w, hostingShare: drawW(hosting) / hostingBefore };
    };
    const held = cut(true);
    expect(held.hostingShare).toBeGreaterThanOrEqual(0.88);
    expect(held.w.violations).toEqual([]);
    const cls = held.w.c.explain()!.classes.find((c) => c.name === 'hosting-a')!;
    expect(cls.why).toMatch(/floor of [\d.]+ kW over its 6 miners held/);
    // Without the class the same cut takes the hosting miners well below that floor.
    expect(cut(false).hostingShare).toBeLessThan(0.8);
  });
});

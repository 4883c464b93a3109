import { BacktestPolicySchema, InputError, TraceSchema, parseInput } from '@wattbroker/contracts';
import { deriveSnapshot } from '@wattbroker/core';
import { describe, expect, it } from 'vitest';
import { DEMO_SITE, SiteSimulation, generateTrace, reportFiles, resolveSite, runBacktest, variants, type BacktestSummary } from '../src/index.js';

const site = resolveSite(DEMO_SITE);
const trace = generateTrace({ kind: 'bursty', seed: 7, hours: 0.75, start: '2026-07-14T15:00:00-05:00' });
const policy = BacktestPolicySchema.parse({});

/** The KPIs without what depends on the machine (wall time). */
function kpisOnly(s: BacktestSummary) {
  return { ...s, wallMs: 0, policies: s.policies.map((p) => ({ ...p, sim: { ...p.sim, wallMs: 0 } })) };
}

describe('backtest', () => {
  it('is deterministic: the same trace and seed give identical KPIs', () => {
    const a = runBacktest({ trace, site, policy, warmupS: 120 });
    const b = runBacktest({ trace, site, policy, warmupS: 120 });
    expect(kpisOnly(b.summary)).toEqual(kpisOnly(a.summary));
    // …and a different silicon lottery gives different ones.
    const other = runBacktest({ trace, site: resolveSite({ ...DEMO_SITE, seed: 2 }), policy, warmupS: 120 });
    expect(other.summary.policies[0]!.hashratePhDays).not.toBe(a.summary.policies[0]!.hashratePhDays);
  }, 120_000);

  it('skipping steps that cannot decide anything changes no KPI', () => {
    const skip = runBacktest({ trace, site, policy: { ...policy, baselines: false }, warmupS: 120 });
    const every = runBacktest({ trace, site, policy: { ...policy, baselines: false }, warmupS: 120, maxQuietMs: 0 });
    const a = skip.summary.policies[0]!;
    const b = every.summary.policies[0]!;
    expect(a.sim.ticksSkipped).toBeGreaterThan(0);
    expect(b.sim.ticksSkipped).toBe(0);
    expect({ ...a, sim: null }).toEqual({ ...b, sim: null });
  }, 120_000);

  it('a step takes its time: none starts before the one before has ended, and the cap still holds', () => {
    const at: number[] = [];
    const slow = runBacktest({ trace, site, policy: { ...policy, baselines: false }, warmupS: 120, stepMs: 250 });
    const sim = new SiteSimulation({ site, trace, variant: variants(site, { ...policy, baselines: false })[0]!, warmupS: 120, stepMs: 250, onStep: (t) => at.push(t) });
    sim.run();
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
    const fast = runBacktest({ trace, site, policy: { ...policy, baselines: false }, warmupS: 120 });
    const a = slow.summary.policies[0]!;
    expect(a.sim.steps).toBeLessThan(fast.summary.policies[0]!.sim.steps);
    expect(a.sim.steps).toBe(at.length);
    expect(a.secondsOverCap).toBe(0);
  }, 120_000);

  it('the snapshot kept between steps (only changed devices worked out again) equals one worked out from every record, at every step', () => {
    const t = { ...trace, durationS: 1800, jobs: trace.jobs.filter((j) => j.at < 1800), gridEvents: [{ at: 900, shedKw: 60, durationS: 400, noticeS: 300 }] };
    const start = Date.parse(t.start);
    let steps = 0;
    const sim = new SiteSimulation({
      site, trace: TraceSchema.parse(t), variant: variants(site, { ...policy, baselines: false })[0]!, warmupS: 120,
      onStep: (at, _out, c) => {
        // Every other step is left alone, so that the next step's own snapshot is the first to
        // see what this one's commit wrote (as in the scheduler).
        if (++steps % 2 === 0) return;
        const kept = deriveSnapshot(c.state, c.policy, start + at);
        expect(kept).toEqual(deriveSnapshot(c.state, c.policy, start + at, {}, { fresh: true }));
        // …and now and then a little later (dwell, grace and result time-outs end with nothing
        // written; the next step then goes back in time, and every row is worked out again).
        if (steps % 25 === 1) expect(deriveSnapshot(c.state, c.policy, start + at + 4000)).toEqual(deriveSnapshot(c.state, c.policy, start + at + 4000, {}, { fresh: true }));
      },
    });
    const r = sim.run();
    expect(steps).toBeGreaterThan(100);
    expect(r.stats.commands).toBeGreaterThan(10);
  }, 120_000);

  it('the default spends the margin on the GPU draw credit: the miners get more of the contract than with the margin kept, the cap holds, and skipping steps still changes no KPI', () => {
    const kept = BacktestPolicySchema.parse({ headroom: { mode: 'learned' }, gpuDraw: { mode: 'off' }, moves: { mode: 'optimal' }, baselines: false });
    const off = runBacktest({ trace, site, policy: kept, warmupS: 120 });
    const keptEvery = runBacktest({ trace, site, policy: kept, warmupS: 120, maxQuietMs: 0 });
    const on = runBacktest({ trace, site, policy: { ...policy, baselines: false }, warmupS: 120 });
    const a = on.summary.policies[0]!;
    expect({ ...off.summary.policies[0]!, sim: null }).toEqual({ ...keptEvery.summary.policies[0]!, sim: null });
    expect(a.secondsOverCap).toBe(0);
    expect(a.unusedPct.gpuCredited).toBeLessThan(0);
    expect(a.contractEnergyUsedPct).toBeGreaterThan(off.summary.policies[0]!.contractEnergyUsedPct);
  }, 180_000);

  it('runs wattbroker and both baselines side by side, keeps the cap, and counts every job', () => {
    const run = runBacktest({ trace, site, policy, warmupS: 120 });
    expect(run.summary.policies.map((p) => p.policy)).toEqual(['wattbroker', 'onoff', 'static-reserve']);
    for (const p of run.summary.policies) {
      expect(p.secondsOverCap).toBe(0);
      expect(p.jobs.submitted).toBe(trace.jobs.length);
      expect(p.contractEnergyUsedPct).toBeGreaterThan(95);
      expect(p.contractEnergyUsedPct).toBeLessThan(100);
      // The parts of the unused contract add up.
      const u = p.unusedPct;
      expect(p.contractEnergyUsedPct + u.gpuBelowLimit + u.gpuCredited + u.heldForGpus + u.hysteresis + u.other).toBeCloseTo(100, 2);
    }
    // On/off runs whole miners: less hashrate for the same power.
    const [wb, onoff] = run.summary.policies;
    expect(wb!.hashratePhDays / wb!.energyMWh).toBeGreaterThan(onoff!.hashratePhDays / onoff!.energyMWh);
    expect(run.summary.targets.checks.map((c) => c.name)).toEqual(['contract energy used', 'cap', 'GPU admission wait', 'profile transitions']);
  }, 120_000);

  it('complies with a grid event announced ahead, and reports it', () => {
    const t = generateTrace({ kind: '4cp', seed: 3, hours: 5.5 });
    const short = { ...t, durationS: 5.5 * 3600 };
    const run = runBacktest({ trace: short, site, policy: { ...policy, baselines: false }, warmupS: 60 });
    const e = run.summary.policies[0]!.gridEvents[0]!;
    expect(e.id).toBe('4cp-peak');
    expect(e.secondsAbove).toBe(0);
    expect(e.timeToComplianceS).toBe(0);
    expect(e.maxKw!).toBeLessThanOrEqual(e.requestedKw);
  }, 120_000);

  it('writes a self-contained report: inline SVG, the KPIs as data, no script or style from anywhere else', () => {
    const run = runBacktest({ trace: { ...trace, durationS: 900, jobs: trace.jobs.filter((j) => j.at < 900) }, site, policy, warmupS: 60 });
    const files = reportFiles(run);
    const html = files.get('report.html')!;
    expect(html).toMatch(/^<!doctype html>/);
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(8);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    const data = JSON.parse(/<script type="application\/json" id="kpis">(.*?)<\/script>/s.exec(html)![1]!);
    expect(data.policies).toHaveLength(3);
    expect(files.get('series-wattbroker.csv')!.split('\r\n')).toHaveLength(900 + 2);
    expect(files.get('jobs-onoff.csv')!.split('\r\n')[0]).toBe('id,class,gpus,submitted_s,state,refused,queued_at,running_at,ended_at,wait_ms,preempted,waited_for_gpus,gpu_seconds');
    expect(JSON.parse(files.get('kpis.json')!).targets.policy).toBe('wattbroker');
  }, 120_000);
});

describe('trace', () => {
  it('generates the same trace for the same seed, and a valid one', () => {
    for (const kind of ['bursty', '4cp', 'price-spike', 'demo'] as const) {
      const a = generateTrace({ kind, seed: 5, hours: 2 });
      expect(generateTrace({ kind, seed: 5, hours: 2 })).toEqual(a);
      expect(parseInput(TraceSchema, JSON.parse(JSON.stringify(a)), 'trace').jobs.length).toBe(a.jobs.length);
    }
    expect(generateTrace({ kind: 'bursty', seed: 6, hours: 2 })).not.toEqual(generateTrace({ kind: 'bursty', seed: 5, hours: 2 }));
  });

  it('names the bad field', () => {
    const bad = JSON.parse(JSON.stringify(generateTrace({ kind: 'price-spike', seed: 1, hours: 2 })));
    bad.prices[3].pricePerMWh = 'cheap';
    bad.gridEvents = [{ at: 10, durationS: 60 }];
    bad.jobs[2].gpus = 0;
    try {
      parseInput(TraceSchema, bad, 'trace.json');
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      const fields = (e as InputError).issues.map((i) => i.field);
      expect(fields).toContain('prices[3].pricePerMWh');
      expect(fields).toContain('jobs[2].gpus');
    }
    // A policy file too: a misspelt follower mode and a stray key are named.
    expect(() => parseInput(BacktestPolicySchema, { moves: { mode: 'least' } }, 'policy.json')).toThrow(/moves\.mode/);
    expect(() => parseInput(BacktestPolicySchema, { moves: { deadband: 1 } }, 'policy.json')).toThrow(/moves.*deadband/);
    const noKind = { ...JSON.parse(JSON.stringify(generateTrace({ kind: 'bursty', seed: 1, hours: 1 }))), gridEvents: [{ at: 10, durationS: 60 }] };
    expect(() => parseInput(TraceSchema, noKind, 'trace.json')).toThrow(/gridEvents\[0\]\.capKw: give exactly one of capKw or shedKw/);
    const late = { ...JSON.parse(JSON.stringify(generateTrace({ kind: 'bursty', seed: 1, hours: 1 }))), prices: [{ at: 60, pricePerMWh: 30 }, { at: 30, pricePerMWh: 31 }] };
    expect(() => parseInput(TraceSchema, late, 'trace.json')).toThrow(/prices\[1\]\.at: must be after prices\[0\]\.at/);
    expect(() => parseInput(BacktestPolicySchema, { gpuDraw: { mode: 'median' } }, 'policy.json')).toThrow(/policy\.json: gpuDraw\.mode: /);
    expect(() => parseInput(BacktestPolicySchema, { gpuDraw: { marginPct: 150 } }, 'policy.json')).toThrow(/gpuDraw\.marginPct: /);
  });
});

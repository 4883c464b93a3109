import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'wattbroker-backtest-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

/** A short trace: a few bursts and a price change. */
const small = {
  name: 'small', start: '2026-07-14T16:00:00-05:00', durationS: 600,
  jobs: [
    { at: 30, class: 'critical', gpus: 2, durationS: 60 }, { at: 31, class: 'standard', gpus: 1, durationS: 90 },
    { at: 200, class: 'batch', gpus: 4, durationS: 300 }, { at: 400, class: 'standard', gpus: 4, durationS: 60 },
  ],
  prices: [{ at: 0, pricePerMWh: 30 }, { at: 300, pricePerMWh: 35 }],
  hashprice: [{ at: 0, usdPerThDay: 0.05 }],
};

describe('wattbroker backtest', () => {
  it('prints exactly one JSON object with the KPIs of wattbroker and both baselines, and writes the report', async () => {
    const out = join(dir, 'report-small');
    const r = await runCli(['backtest', '--trace', file('small.json', small), '--out', out, '--json'], 120_000);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(Object.keys(o).sort()).toEqual(['policies', 'report', 'site', 'targets', 'trace', 'wallMs']);
    expect(o.policies.map((p: { policy: string }) => p.policy)).toEqual(['wattbroker', 'onoff', 'static-reserve']);
    const k = o.policies[0];
    for (const key of ['contractEnergyUsedPct', 'secondsOverCap', 'kWhOverCap', 'maxDemand15minKw', 'hashratePhDays', 'admissionWait', 'jobs', 'transitionsPerMinerHour',
      'energyCostUsd', 'miningRevenueUsd', 'gpuRevenueUsd', 'mining', 'inference', 'gridEventCompliancePct']) expect(k).toHaveProperty(key);
    expect(k.admissionWait.critical.p95Ms).not.toBeUndefined();
    expect(k.jobs.submitted).toBe(4);
    expect(o.site.miners).toBe(120);
    expect(o.targets.checks).toHaveLength(4);
    for (const f of ['report.html', 'kpis.json', 'kpis.csv', 'series-wattbroker.csv', 'jobs-static-reserve.csv']) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
    // No progress bar when stderr is not a terminal.
    expect(r.stderr).toBe('');
  }, 120_000);

  it('prints the table without --json, the policies side by side, and runs a site and a policy file', async () => {
    const site = file('site.json', { miners: { models: [{ model: 's21', count: 20 }, { model: 's19jpro', count: 10 }] }, asicHosts: 2, gpuHosts: [{ count: 1, gpus: 4 }] });
    const policy = file('policy.json', { hysteresisKw: 1, minDwellS: 5, baselines: false, headroom: { mode: 'off' }, preemption: false });
    const r = await runCli(['backtest', '--trace', file('small2.json', small), '--site', site, '--policy', policy, '--out', join(dir, 'r2')], 120_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/30 miners on 2 agents, 4 GPUs on 1 hosts/);
    expect(r.stdout).toMatch(/contract energy used \(% of cap − margin\)/);
    expect(r.stdout).not.toMatch(/on\/off curtailment/);
    expect(r.stdout).toMatch(/targets \(wattbroker\):/);
    expect(r.stdout).toMatch(/report: .*report\.html/);
  }, 120_000);

  it('refuses a trace with a bad field, naming it, with exit 2; and bad flags and sites', async () => {
    const bad = structuredClone(small) as any;
    bad.prices[1].pricePerMWh = 'a lot';
    let r = await runCli(['backtest', '--trace', file('bad.json', bad), '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/invalid trace/);
    expect(r.stderr).toMatch(/prices\[1\]\.pricePerMWh: .*number/);
    r = await runCli(['backtest', '--trace', file('bad2.json', { ...small, jobs: [{ at: 1, class: 'critical', gpus: 1 }] })]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/jobs\[0\]\.durationS/);
    r = await runCli(['backtest', '--trace', file('s3.json', small), '--site', file('badsite.json', { miners: { models: [{ model: 's99', count: 3 }] } })]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/miners\.models\[0\]\.model: unknown ASIC model "s99"/);
    r = await runCli(['backtest', '--trace', file('s4.json', small), '--site', file('badsite2.json', { minerz: 3 })]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/minerz/);
    r = await runCli(['backtest']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--trace FILE is required/);
    r = await runCli(['backtest', '--trace', join(dir, 'missing.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ENOENT');
  }, 60_000);

  it('on the shipped bursty day: the KPIs, the report, and the targets checked', async () => {
    const out = join(dir, 'bursty');
    const r = await runCli(['backtest', '--trace', 'examples/traces/bursty-day.json', '--out', out, '--json'], 240_000);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.trace.durationS).toBe(86_400);
    expect(o.policies).toHaveLength(3);
    const wb = o.policies[0];
    expect(wb.secondsOverCap).toBe(0);
    expect(o.targets.checks.find((c: { name: string }) => c.name === 'cap').met).toBe(true);
    expect(o.targets.checks.find((c: { name: string }) => c.name === 'profile transitions').met).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  }, 240_000);
});

describe('wattbroker trace generate', () => {
  it('reproduces the shipped traces byte for byte', async () => {
    for (const [args, shipped] of [
      [['--kind', 'bursty', '--hours', '24'], 'bursty-day.json'], [['--kind', '4cp'], '4cp-afternoon.json'],
      [['--kind', 'price-spike', '--hours', '24'], 'price-spike-day.json'], [['--kind', 'demo'], 'demo-10min.json'],
    ] as const) {
      const out = join(dir, `regen-${shipped}`);
      const r = await runCli(['trace', 'generate', ...args, '--seed', '1', '--out', out]);
      expect(r.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(repoRoot, 'examples/traces', shipped), 'utf8'));
    }
  }, 60_000);

  it('exits 2 on a bad kind or number', async () => {
    let r = await runCli(['trace', 'generate', '--kind', 'calm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kind: expected one of bursty, 4cp, price-spike, demo/);
    r = await runCli(['trace', 'generate', '--kind', 'bursty', '--hours', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--hours/);
  });
});

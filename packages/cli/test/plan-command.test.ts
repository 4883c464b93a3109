import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'wattbroker-plan-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

const small = {
  budgetW: 3000,
  miners: [
    { id: 'm-1', profiles: [{ name: '190MHz', powerW: 784, hashrateThs: 39.2 }, { name: 'sleep', powerW: 25, hashrateThs: 0 }, { name: 'default', powerW: 2794, hashrateThs: 121.8 }] },
    { id: 'm-2', profiles: [{ name: 'sleep', powerW: 25, hashrateThs: 0 }, { name: 'x', powerW: 1000, hashrateThs: 30 }, { name: 'y', powerW: 1500, hashrateThs: 20 }] },
  ],
};

describe('wattbroker plan', () => {
  it('prints exactly one JSON object with an assignment for every miner, within budget', async () => {
    const r = await runCli(['plan', '--fleet', file('small.json', small), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['assignments', 'hashrateThs', 'lpBoundThs', 'powerW', 'solveMs']);
    // Optimal: one miner at stock beats both at low profiles (121.8 TH/s vs 69.2).
    expect(out.assignments).toEqual({ 'm-1': 'default', 'm-2': 'sleep' });
    expect(out.powerW).toBe(2819);
    expect(out.hashrateThs).toBeCloseTo(121.8, 6);
    expect(out.lpBoundThs).toBeGreaterThanOrEqual(out.hashrateThs);
  });

  it('lets --budget-kw override the file budget', async () => {
    const r = await runCli(['plan', '--fleet', file('small2.json', small), '--budget-kw', '3.8', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.assignments).toEqual({ 'm-1': 'default', 'm-2': 'x' });
    expect(out.powerW).toBeLessThanOrEqual(3800);
  });

  it('exits 3 saying by how much the budget is below the fleet minimum', async () => {
    const r = await runCli(['plan', '--fleet', file('small3.json', small), '--budget-kw', '0.04']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('budget 40 W is 10 W below the fleet\'s minimum draw of 50 W');
  });

  it('exits 2 naming the bad field, and on bad flags and unreadable files', async () => {
    const bad = structuredClone(small) as any;
    bad.miners[1].profiles[2].hashrateThs = 'lots';
    let r = await runCli(['plan', '--fleet', file('bad.json', bad)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/miners\[1\]\.profiles\[2\]\.hashrateThs: .*number/);
    r = await runCli(['plan', '--fleet', file('broken.json', '{"miners": [')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not valid JSON');
    r = await runCli(['plan', '--fleet', join(dir, 'missing.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ENOENT');
    r = await runCli(['plan', '--fleet', file('small4.json', small), '--budget-kw', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--budget-kw');
    r = await runCli(['plan', '--fleet', file('small5.json', small), '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bogus');
    // Five CLI processes: seconds each on a loaded two-core machine (the fuzz suite runs alongside).
  }, 60_000);

  it('prints a human summary of the bundled 5 MW sample fleet', async () => {
    const r = await runCli(['plan', '--fleet', 'examples/sample-fleet-5mw.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1,5\d\d miners, budget 3,500\.0 kW/);
    expect(r.stdout).toMatch(/J\/TH/);
    expect(r.stdout).toMatch(/gap 0\.00\d\d %/);
    expect(r.stdout).toMatch(/miners per profile:/);
  });
});

describe('wattbroker fleet generate', () => {
  it('reproduces the bundled sample fleet byte for byte', async () => {
    const out = join(dir, 'regen.json');
    const r = await runCli(['fleet', 'generate', '--stock-mw', '5', '--seed', '1', '--budget-kw', '3500', '--out', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(repoRoot, 'examples/sample-fleet-5mw.json'), 'utf8'));
  });
});

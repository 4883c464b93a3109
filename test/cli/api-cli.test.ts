import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GridEventViewSchema, SiteViewSchema } from '@wattbroker/contracts';
import { repoRoot } from '@wattbroker/testkit';
import { api, liveHosts, OPERATOR, startTestSite, type TestSite } from '../src/site.js';

interface Run { code: number; stdout: string; stderr: string }

/** The real `wattbroker` CLI as a process, against the site's scheduler (URL and token from the environment). */
function cli(site: TestSite, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=development', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
      cwd: repoRoot, timeout: 60_000, env: { ...process.env, WATTBROKER_URL: site.api, WATTBROKER_TOKEN: OPERATOR, ...env },
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** `wattbroker` against a running site: every API command, its JSON, its problems as one line and exit code. */
describe('wattbroker CLI against a running scheduler (processes, private Redis)', { timeout: 30_000 }, () => {
  let site: TestSite;

  beforeAll(async () => {
    site = await startTestSite({ miners: 6, asicHosts: 1, gpuHosts: 1, gpusPerHost: 2, speed: 20 });
    await liveHosts(site, 2);
  }, 120_000);
  afterAll(() => site?.stop(), 30_000);

  it('site --json prints the API\'s site view; site prints the status line', async () => {
    const r = await cli(site, ['site', '--json']);
    expect(r.code).toBe(0);
    const view = SiteViewSchema.parse(JSON.parse(r.stdout));
    expect(view.contract.capKw).toBe(site.capKw);
    const human = await cli(site, ['site']);
    expect(human.stdout).toMatch(/^cap [\d.]+ kW \| site [\d.]+ kW \(/);
  });

  it('grid add --cap-kw 200 --starts-in 60s --for 10m creates the event; grid delete removes it', async () => {
    const before = Date.now();
    const r = await cli(site, ['grid', 'add', '--cap-kw', '200', '--starts-in', '60s', '--for', '10m', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const e = GridEventViewSchema.parse(JSON.parse(r.stdout));
    expect(e.capKw).toBe(200);
    expect(Date.parse(e.startsAt) - before).toBeGreaterThanOrEqual(59_000);
    expect(Date.parse(e.startsAt) - before).toBeLessThan(90_000);
    expect(Date.parse(e.endsAt) - Date.parse(e.startsAt)).toBe(600_000);
    const listed = JSON.parse((await cli(site, ['grid', 'events', '--when', 'upcoming', '--json'])).stdout) as Array<{ id: string }>;
    expect(listed.map((x) => x.id)).toContain(e.id);
    const csv = await cli(site, ['grid', 'report', e.id, '--csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n')[0]).toBe('at,site_kw,requested_kw,above');
    const report = JSON.parse((await cli(site, ['grid', 'report', e.id, '--json'])).stdout) as { eventId: string; requestedKw: number };
    expect(report).toMatchObject({ eventId: e.id, requestedKw: 200 });
    expect((await cli(site, ['grid', 'delete', e.id])).code).toBe(0);
    expect((await api<Array<{ id: string }>>(site, '/v1/grid/events')).body.map((x) => x.id)).not.toContain(e.id);
  });

  it('a bad request shows the problem as one line, exits 5 and changes nothing', async () => {
    const before = (await api<unknown[]>(site, '/v1/grid/events')).body.length;
    const r = await cli(site, ['grid', 'add', '--cap-kw', '-5', '--for', '10m']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^wattbroker: POST \/v1\/grid\/events: 400 Invalid request: capKw: /);
    expect((await api<unknown[]>(site, '/v1/grid/events')).body.length).toBe(before);
    const noToken = await cli(site, ['site'], { WATTBROKER_TOKEN: 'wrong-token-123' });
    expect(noToken.code).toBe(5);
    expect(noToken.stderr).toMatch(/401 Unauthorized: Authorization: unknown token/);
    const usage = await cli(site, ['grid', 'add', '--cap-kw', '10', '--for', 'soon']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--for: expected a duration/);
    const down = await cli(site, ['site', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
  });

  it('jobs submit, list and cancel', async () => {
    const sub = await cli(site, ['jobs', 'submit', '--gpus', '1', '--duration', '10m', '--json']);
    expect(sub.code).toBe(0);
    const { id } = JSON.parse(sub.stdout) as { id: string };
    const list = JSON.parse((await cli(site, ['jobs', 'list', '--json'])).stdout) as Array<{ id: string }>;
    expect(list.map((j) => j.id)).toContain(id);
    const cancel = await cli(site, ['jobs', 'cancel', id, '--json']);
    expect(JSON.parse(cancel.stdout)).toMatchObject({ id, state: 'cancelled' });
    const cancelled = JSON.parse((await cli(site, ['jobs', 'list', '--state', 'cancelled', '--json'])).stdout) as Array<{ id: string }>;
    expect(cancelled.map((j) => j.id)).toContain(id);
    expect((await cli(site, ['jobs', 'cancel', 'no-such-job'])).stderr).toMatch(/404 Not found: id: no job "no-such-job"/);
  });

  it('priorities get and set FILE; a bad file is refused naming the field', async () => {
    const current = JSON.parse((await cli(site, ['priorities', 'get', '--json'])).stdout) as unknown[];
    expect(current.length).toBeGreaterThan(0);
    const good = join(site.dir, 'priorities.json');
    writeFileSync(good, JSON.stringify(current));
    expect((await cli(site, ['priorities', 'set', good])).code).toBe(0);
    const bad = join(site.dir, 'bad-priorities.json');
    writeFileSync(bad, JSON.stringify([...current, current[0]]));
    const r = await cli(site, ['priorities', 'set', bad]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/400 Invalid request: \[\d+\]\.name: duplicate class/);
  });

  it('devices list, maintenance on/off, pin; contract set refuses a margin above the cap', async () => {
    const miners = JSON.parse((await cli(site, ['devices', 'list', '--kind', 'asic', '--json'])).stdout) as Array<{ id: string; kind: string }>;
    expect(miners).toHaveLength(6);
    expect(miners.every((d) => d.kind === 'asic')).toBe(true);
    const id = miners[0]!.id;
    const on = JSON.parse((await cli(site, ['devices', 'maintenance', id, 'on', '--json'])).stdout) as { override: { maintenance: boolean } };
    expect(on.override.maintenance).toBe(true);
    const off = JSON.parse((await cli(site, ['devices', 'maintenance', id, 'off', '--json'])).stdout) as { override: { maintenance?: boolean } | null };
    expect(off.override?.maintenance ?? false).toBe(false);
    expect((await cli(site, ['devices', 'pin', id, '--clear'])).code).toBe(0);
    const c = await cli(site, ['contract', 'set', '--cap-kw', '10', '--margin-kw', '20']);
    expect(c.code).toBe(5);
    expect(c.stderr).toMatch(/marginKw: must be below capKw/);
    expect((await api<{ contract: { capKw: number } }>(site, '/v1/site')).body.contract.capKw).toBe(site.capKw);
  });

  it('watch redraws the status line and the latest events; hosts list shows the live hosts', async () => {
    const r = await cli(site, ['watch', '--count', '2', '--interval', '200ms']);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/cap [\d.]+ kW \| site/g)).toHaveLength(2);
    const hosts = JSON.parse((await cli(site, ['hosts', 'list', '--json'])).stdout) as Array<{ hostId: string; silent: boolean }>;
    expect(hosts.map((h) => h.hostId).sort()).toEqual(['asic-1', 'gpu-1']);
  });
});

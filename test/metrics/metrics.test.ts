import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, spawnTs, waitFor } from '@wattbroker/testkit';
import { OPERATOR, TENANT, api, liveHosts, startTestSite, type TestSite } from '../src/site.js';
import { parsePrometheusText, seriesNamed, type Scrape } from './prometheus-text.js';

/** The series docs/metrics.md promises on the scheduler. */
const SCHEDULER_SERIES = [
  'wattbroker_site_power_watts', 'wattbroker_site_modelled_power_watts', 'wattbroker_site_metered_power_watts', 'wattbroker_contract_cap_watts',
  'wattbroker_effective_cap_watts', 'wattbroker_power_watts', 'wattbroker_class_power_watts', 'wattbroker_zone_power_watts', 'wattbroker_hashrate_ths',
  'wattbroker_miners', 'wattbroker_gpus', 'wattbroker_jobs', 'wattbroker_job_admission_wait_seconds', 'wattbroker_command_round_trip_seconds',
  'wattbroker_disobedient_devices', 'wattbroker_silent_hosts', 'wattbroker_host_silent', 'wattbroker_grid_events_active', 'wattbroker_grid_event_compliant',
  'wattbroker_step_duration_seconds', 'wattbroker_steps_total', 'wattbroker_leader', 'wattbroker_leader_epoch',
];
const AGENT_SERIES = ['wattbroker_agent_device_read_seconds', 'wattbroker_agent_device_read_errors_total', 'wattbroker_agent_commands_total', 'wattbroker_agent_device_writes_total'];

describe('Prometheus metrics of a running site', () => {
  let site: TestSite;
  const families = new Set<string>();
  const scrape = async (token = OPERATOR): Promise<Scrape> => {
    const res = await fetch(`${site.api}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = parsePrometheusText(await res.text());
    for (const f of s.types.keys()) families.add(f);
    return s;
  };
  const agentUrl = async (hostId: string) => /metrics on (\S+)/.exec(await site.agents.get(hostId)!.waitForLine(/metrics on/))![1]!;
  const scrapeAgent = async (hostId: string): Promise<Scrape> => {
    const s = parsePrometheusText(await (await fetch(await agentUrl(hostId))).text());
    for (const f of s.types.keys()) families.add(f);
    return s;
  };

  beforeAll(async () => {
    site = await startTestSite({ miners: 8, asicHosts: 1, gpuHosts: 1, gpusPerHost: 2, speed: 10, agentArgs: ['--metrics-port', '0'] });
    await liveHosts(site, 2);
  }, 120_000);
  afterAll(async () => site?.stop());

  it('needs a token (any role), like the API', async () => {
    const none = await fetch(`${site.api}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/application\/problem\+json/);
    await scrape(TENANT);
  });

  it('exports every promised series, and they move with the site', async () => {
    const first = await scrape();
    for (const name of SCHEDULER_SERIES) expect(first.types.has(name), name).toBe(true);
    expect(first.sum('wattbroker_leader')).toBe(1);
    expect(first.sum('wattbroker_leader_epoch')).toBeGreaterThanOrEqual(1);
    expect(first.sum('wattbroker_contract_cap_watts')).toBe(site.capKw * 1000);
    expect(first.sum('wattbroker_site_power_watts')).toBeGreaterThan(0);
    // This scheduler has no site meter (no --meter): NaN, not a reading of 0.
    expect(first.sum('wattbroker_site_metered_power_watts')).toBeNaN();
    expect(first.sum('wattbroker_site_modelled_power_watts')).toBe(first.sum('wattbroker_site_power_watts'));
    expect(first.sum('wattbroker_miners')).toBe(8);
    expect(first.sum('wattbroker_gpus')).toBe(2);
    expect(first.sum('wattbroker_host_silent')).toBe(0);
    expect(first.has('wattbroker_host_silent{host="asic-1",kind="asic"}')).toBe(true);

    // Steps run; a job is admitted and its wait observed; commands go out and come back.
    const job = await api<{ id: string }>(site, '/v1/jobs', { method: 'POST', token: TENANT, body: { gpus: 1, durationS: 60 } });
    expect(job.status).toBe(202);
    const moved = await waitFor('a job running, its admission wait and a command round trip observed', async () => {
      const s = await scrape();
      return s.sum('wattbroker_jobs', { state: 'running' }) === 1 && s.sum('wattbroker_job_admission_wait_seconds_count') >= 1
        && s.sum('wattbroker_command_round_trip_seconds_count') >= 1 && s.sum('wattbroker_gpus', { busy: 'true' }) === 1 && s;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    expect(moved.sum('wattbroker_steps_total')).toBeGreaterThan(first.sum('wattbroker_steps_total'));
    expect(moved.sum('wattbroker_step_duration_seconds_count')).toBeGreaterThan(first.sum('wattbroker_step_duration_seconds_count'));

    // A grid event: the effective cap follows it, the event counts as active, the site gets under it.
    // From a filled site (the first scrape may come while the miners still boot), to 60 % of the contract.
    const budgetW = (site.capKw - site.marginKw) * 1000;
    await waitFor('the site filled to ≥ 80 % of the contract', async () => (await scrape()).sum('wattbroker_site_power_watts') >= 0.8 * budgetW, { timeoutMs: 60_000, intervalMs: 250 });
    const capW = Math.round(budgetW * 0.6);
    const now = Date.now();
    const ev = await api(site, '/v1/grid/events', { method: 'POST', body: { capKw: capW / 1000, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 5 * 60_000).toISOString() } });
    expect(ev.status).toBe(201);
    const capped = await scrape();
    expect(capped.sum('wattbroker_grid_events_active')).toBe(1);
    expect(capped.sum('wattbroker_effective_cap_watts')).toBeLessThanOrEqual(capW);
    const t0 = Date.now();
    await waitFor('site under the grid event, and compliant', async () => {
      const s = await scrape();
      return s.sum('wattbroker_site_power_watts') <= capW && s.sum('wattbroker_grid_event_compliant') === 1;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    console.log(`metrics: site under a 60 % grid cap and compliant ${Date.now() - t0} ms after the event was posted`);
  }, 180_000);

  it('agents export their own series on --metrics-port, bound to loopback', async () => {
    const url = await agentUrl('asic-1');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const first = await scrapeAgent('asic-1');
    for (const name of AGENT_SERIES) expect(first.types.has(name), name).toBe(true);
    expect(first.sum('wattbroker_agent_commands_total', { host: 'asic-1', outcome: 'applied' })).toBeGreaterThan(0);
    expect(first.sum('wattbroker_agent_device_writes_total', { result: 'ok' })).toBeGreaterThan(0);
    expect(first.sum('wattbroker_agent_devices', { reachable: 'true' })).toBe(8);
    await waitFor('more device reads', async () => (await scrapeAgent('asic-1')).sum('wattbroker_agent_device_read_seconds_count') > first.sum('wattbroker_agent_device_read_seconds_count'), { timeoutMs: 10_000, intervalMs: 250 });
    const gpu = await scrapeAgent('gpu-1');
    expect(gpu.sum('wattbroker_agent_devices', { host: 'gpu-1', reachable: 'true' })).toBe(2);
    expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
  }, 30_000);

  it('an agent refuses a bad --metrics-port, naming the flag', async () => {
    const a = spawnTs('services/agent/src/main.ts', ['--config', 'unused.json', '--metrics-port', '70000'], { WATTBROKER_REDIS_URL: site.redis.url });
    expect(await a.exited).toBe(2);
    expect(a.stderr()).toBe('wattbroker-agent: --metrics-port: expected a port 0-65535, got "70000"\n');
  }, 30_000);

  it('the Grafana dashboard is well-formed and every panel queries series the app exports', () => {
    expect(families.size).toBeGreaterThan(SCHEDULER_SERIES.length); // the scrapes above ran
    const dash = JSON.parse(readFileSync(`${repoRoot}/infra/grafana/wattbroker.json`, 'utf8')) as {
      __requires: Array<{ type: string; id: string }>; title: string; uid: string; schemaVersion: number; panels: Array<{ id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: Array<{ expr: string; refId: string }> }>;
    };
    expect(dash.title).toBeTruthy();
    expect(dash.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dash.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
    const queries = dash.panels.filter((p) => p.type !== 'row');
    // The import dialog checks what the dashboard needs: every panel type used is declared.
    const declared = new Set(dash.__requires.filter((r) => r.type === 'panel').map((r) => r.id));
    for (const p of queries) expect(declared.has(p.type), p.type).toBe(true);
    expect(dash.__requires.some((r) => r.type === 'datasource' && r.id === 'prometheus')).toBe(true);
    expect(queries.length).toBeGreaterThan(10);
    const titles = queries.map((p) => p.title);
    // ASIC and GPU side by side: panels of each at the same height, ASIC left, GPU right.
    const asic = queries.find((p) => p.title === 'ASIC power')!;
    const gpu = queries.find((p) => p.title === 'GPU power')!;
    expect(asic.gridPos.y).toBe(gpu.gridPos.y);
    expect(asic.gridPos.x + asic.gridPos.w).toBeLessThanOrEqual(gpu.gridPos.x);
    for (const p of queries) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.refId).toMatch(/^[A-Z]$/);
        const named = seriesNamed(t.expr);
        expect(named.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const n of named) expect(families.has(n), `${p.title}: ${n} is not exported`).toBe(true);
      }
    }
    expect(titles).toEqual(expect.arrayContaining(['Site power and caps', 'Job queue', 'Command round trip', 'Step duration']));
  });

  it('every alert rule is well-formed and names exported series', () => {
    const rules = (parseYaml(readFileSync(`${repoRoot}/infra/prometheus/alerts.yml`, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string } }> }> }).groups.flatMap((g) => g.rules);
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(expect.arrayContaining(['WattbrokerOverContract', 'WattbrokerSilentHost', 'WattbrokerDisobedientDevice', 'WattbrokerGridEventNonCompliant', 'WattbrokerStandbyWithoutLeader']));
    for (const r of rules) {
      expect(r.labels.severity, r.alert).toMatch(/^(critical|warning)$/);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      if (r.for) expect(r.for).toMatch(/^\d+[smh]$/);
      for (const n of seriesNamed(r.expr)) expect(families.has(n), `${r.alert}: ${n} is not exported`).toBe(true);
    }
    const scrapeConfig = parseYaml(readFileSync(`${repoRoot}/infra/prometheus/prometheus.yml`, 'utf8')) as { rule_files: string[]; scrape_configs: Array<{ job_name: string; authorization?: { type: string; credentials_file: string } }> };
    expect(scrapeConfig.rule_files).toEqual(['alerts.yml']);
    const scheduler = scrapeConfig.scrape_configs.find((c) => c.job_name === 'wattbroker-scheduler')!;
    expect(scheduler.authorization?.type).toBe('Bearer');
    expect(scrapeConfig.scrape_configs.map((c) => c.job_name)).toContain('wattbroker-agent');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@wattbroker/testkit';
import { api, liveHosts, startTestSite, TENANT, type TestSite } from '../src/site.js';

interface MinerTruth { id: string; profile: string; state: string }
interface Truth { perMiner: MinerTruth[]; gpuHosts: Array<{ hostId?: string; busy: number }> }

/**
 * `--observe`: the scheduler plans for a grid event that needs every miner shed, says so in
 * `/v1/plan` and the device views, and yet no device changes: no command leaves it.
 */
describe('scheduler --observe (processes, private Redis)', () => {
  let site: TestSite;
  const truth = async () => (await (await fetch(site.truth)).json()) as Truth;

  beforeAll(async () => {
    site = await startTestSite({ miners: 8, asicHosts: 1, gpuHosts: 1, gpusPerHost: 2, speed: 20, schedulerArgs: ['--observe'] });
    await liveHosts(site, 2);
  }, 120_000);
  afterAll(() => site?.stop(), 30_000);

  it('plans and reports a shed, but no miner or GPU changes', async () => {
    const ready = await api<{ observe?: boolean; leader: boolean }>(site, '/readyz');
    expect(ready.body).toMatchObject({ leader: true, observe: true });
    const before = new Map((await truth()).perMiner.map((m) => [m.id, m.profile]));
    // A cap that leaves room for almost nothing, from now on: every miner would sleep.
    const now = Date.now();
    const event = await api(site, '/v1/grid/events', { method: 'POST', body: { capKw: 0.5, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 600_000).toISOString() } });
    expect(event.status).toBe(201);
    const job = await api<{ id: string }>(site, '/v1/jobs', { method: 'POST', token: TENANT, body: { gpus: 1, durationS: 30 } });
    expect(job.status).toBe(202);
    // The plan wants every miner shed, and the device views say their readings are off target.
    await waitFor('a plan that sheds the miners', async () => {
      const plan = (await api<{ effectiveCapW: number; plannedMinerW: number }>(site, '/v1/plan')).body;
      return plan && plan.effectiveCapW <= 500 && plan.plannedMinerW < 1000;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    await waitFor('miners reported off their targets', async () => {
      const devices = (await api<Array<{ kind: string; status: string }>>(site, '/v1/devices?kind=asic')).body;
      return devices.every((d) => ['in-transition', 'off-target', 'disobedient'].includes(d.status));
    }, { timeoutMs: 30_000, intervalMs: 250 });
    // Meanwhile (and for 4 s more, 80 s of emulated time) every miner keeps its profile and
    // none sleeps; the GPU job is never started.
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      const t = await truth();
      for (const m of t.perMiner) {
        expect(m.profile, m.id).toBe(before.get(m.id));
        expect(m.state, m.id).not.toMatch(/sleep/);
      }
      expect(t.gpuHosts.every((h) => h.busy === 0)).toBe(true);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await api<{ state: string }>(site, `/v1/jobs/${job.body.id}`)).body.state).not.toBe('running');
  }, 90_000); // its waits alone allow 54 s
});

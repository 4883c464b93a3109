import { describe, expect, it } from 'vitest';
import { spawnTs, waitFor } from '@wattbroker/testkit';

describe('pnpm demo', () => {
  it('starts a private Redis (ACLs on), the site and the API, prints status lines, and exits 0 after --duration', async () => {
    const demo = spawnTs('services/demo/src/main.ts', ['--duration', '25', '--miners', '24', '--asic-hosts', '2', '--gpu-hosts', '2', '--gpus-per-host', '4', '--speed', '20', '--port', '0']);
    expect(await demo.waitForLine(/started a private redis-server on 127\.0\.0\.1:\d+/)).toMatch(/ACLs on: one user per agent/);
    const apiLine = await demo.waitForLine(/scheduler API http:\/\/127\.0\.0\.1:\d+/, 30_000);
    const token = /operator token (\S+)/.exec(await demo.waitForLine(/operator token/))![1]!;
    const api = /API (http:\/\/\S+)/.exec(apiLine)![1]!;
    const dashboard = /dashboard (http:\/\/\S+)\/#token=(\S+)/.exec(await demo.waitForLine(/demo: dashboard /))!;
    expect(dashboard[1]).toBe(api);
    expect(dashboard[2]).toBe(token);
    const page = await fetch(`${api}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('id="chart"');
    const status = await demo.waitForLine(/\] cap [\d.]+ kW \| site [\d.]+ kW .*PH\/s \| jobs queued \d+ admitting \d+ running \d+/, 30_000);
    expect(status).toMatch(/ASIC [\d.]+ GPU [\d.]+ overhead [\d.]+ kW/);
    const site = await (await fetch(`${api}/v1/site`, { headers: { authorization: `Bearer ${token}` } })).json() as { contract: { capKw: number } };
    expect(site.contract.capKw).toBeGreaterThan(0);
    // Every agent got through on its own Redis user: registered, and no message refused.
    await waitFor('4 hosts registered', async () => ((await (await fetch(`${api}/v1/hosts`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown[]).length === 4, { timeoutMs: 15_000, intervalMs: 200 });
    const bus = await (await fetch(`${api}/v1/bus`, { headers: { authorization: `Bearer ${token}` } })).json() as { refused: Record<string, number> };
    expect(bus.refused).toEqual({ foreignHost: 0, invalid: 0, foreignDevice: 0, foreignJob: 0, forgedEpoch: 0 });
    expect(await demo.exited).toBe(0);
    expect(demo.lines.at(-1)).toMatch(/demo: stopped/);
  }, 90_000);
});

import { describe, expect, it } from 'vitest';
import { spawnTs } from '@wattbroker/testkit';

describe('pnpm demo', () => {
  it('starts a private Redis, the site and the API, prints status lines, and exits 0 after --duration', async () => {
    const demo = spawnTs('services/demo/src/main.ts', ['--duration', '25', '--miners', '24', '--asic-hosts', '2', '--gpu-hosts', '2', '--gpus-per-host', '4', '--speed', '20', '--port', '0']);
    await demo.waitForLine(/started a private redis-server on 127\.0\.0\.1:\d+/);
    const apiLine = await demo.waitForLine(/scheduler API http:\/\/127\.0\.0\.1:\d+/, 30_000);
    const token = /operator token (\S+)/.exec(await demo.waitForLine(/operator token/))![1]!;
    const api = /API (http:\/\/\S+)/.exec(apiLine)![1]!;
    const status = await demo.waitForLine(/\] cap [\d.]+ kW \| site [\d.]+ kW .*PH\/s \| jobs queued \d+ admitting \d+ running \d+/, 30_000);
    expect(status).toMatch(/ASIC [\d.]+ GPU [\d.]+ overhead [\d.]+ kW/);
    const site = await (await fetch(`${api}/v1/site`, { headers: { authorization: `Bearer ${token}` } })).json() as { contract: { capKw: number } };
    expect(site.contract.capKw).toBeGreaterThan(0);
    expect(await demo.exited).toBe(0);
    expect(demo.lines.at(-1)).toMatch(/demo: stopped/);
  }, 90_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, freePortRange, spawnTs, startReplayServer, type Child } from '@wattbroker/testkit';
import { runCli } from './run-cli.js';

describe('wattbroker miner on recorded replies', () => {
  let replay: Awaited<ReturnType<typeof startReplayServer>>;
  beforeAll(async () => {
    replay = await startReplayServer(new URL('../../../test/fixtures/luxos/', import.meta.url));
  });
  afterAll(() => replay.close());

  it('status --json reads the real miner', async () => {
    const r = await runCli(['miner', `127.0.0.1:${replay.port}`, 'status', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      model: 'Antminer S19k Pro', profile: '290MHz', powerW: 1051, hashrateThs: 59.756, ramping: false, sleeping: false,
    });
  });

  it('profiles --json lists its 25 profiles', async () => {
    const r = await runCli(['miner', `127.0.0.1:${replay.port}`, 'profiles', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(25);
    expect(rows[0]).toEqual({ name: '190MHz', frequencyMHz: 190, voltageV: 11.88, powerW: 784, hashrateThs: 39.2 });
  });

  it('status without --json is one readable line', async () => {
    const r = await runCli(['miner', `127.0.0.1:${replay.port}`, 'status']);
    expect(r.stdout).toBe(`Antminer S19k Pro at 127.0.0.1:${replay.port}: profile 290MHz, 1,051 W, 59.8 TH/s, mining\n`);
  });
});

describe('wattbroker miner on an emulated miner (process)', () => {
  let sim: Child;
  let address: string;
  beforeAll(async () => {
    const base = await freePortRange(3);
    sim = spawnTs('services/miner-sim/src/main.ts', ['--miners', '2', '--base-port', String(base + 1), '--truth-port', String(base), '--models', 's21', '--speed', '20']);
    await sim.waitForLine(/listening/);
    address = `127.0.0.1:${base + 1}`;
  });
  afterAll(() => sim.stop());

  it('set-profile waits for confirmation and says what it saw', async () => {
    const r = await runCli(['miner', address, 'set-profile', '440MHz', '--timeout', '20']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^profile 440MHz: confirmed in \d+\.\d s \(profile 440MHz, [\d,]+ W, [\d.]+ TH\/s, mining\)\n$/);
  });

  it('sleep and wake --unsafe, as JSON', async () => {
    const s = await runCli(['miner', address, 'sleep', '--json', '--timeout', '20']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ confirmed: true, observed: { sleeping: true } });
    const w = await runCli(['miner', address, 'wake', '--unsafe', '--json', '--timeout', '20']);
    expect(w.code).toBe(0);
    expect(JSON.parse(w.stdout)).toMatchObject({ confirmed: true, observed: { sleeping: false } });
  });

  it('exits 4 when the change is not confirmed in time', async () => {
    const r = await runCli(['miner', address, 'set-profile', '90MHz', '--timeout', '0.2']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/NOT confirmed.*ramping/);
  });

  it('a profile the miner does not have exits 1 on one line, and is never sent to it', async () => {
    const r = await runCli(['miner', address, 'set-profile', 'turbo']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/profile "turbo": not in the miner's profile table/);
  });
});

describe('wattbroker miner errors', () => {
  it('an unreachable miner exits 1 with one line', async () => {
    const port = await freePort();
    const r = await runCli(['miner', `127.0.0.1:${port}`, 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^wattbroker: 127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('bad usage exits 2', async () => {
    expect((await runCli(['miner', '127.0.0.1:4028', 'dance'])).code).toBe(2);
    expect((await runCli(['miner', '127.0.0.1:99999', 'status'])).code).toBe(2);
    expect((await runCli(['miner', '127.0.0.1', 'set-profile'])).code).toBe(2);
    expect((await runCli(['miner', '127.0.0.1', 'status', '--timeout', 'x'])).code).toBe(2);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, freePortRange, spawnTs, type Child } from '@wattbroker/testkit';
import { runCli } from './run-cli.js';

describe('wattbroker meter on the emulated site meter (processes)', () => {
  let sim: Child;
  let truthUrl: string;
  let meter: string;
  const dir = mkdtempSync(join(tmpdir(), 'wattbroker-meter-'));
  const sitePowerW = async () => ((await (await fetch(`${truthUrl}?perMiner=false`)).json()) as { site: { sitePowerW: number } }).site.sitePowerW;

  beforeAll(async () => {
    const base = await freePortRange(3);
    sim = spawnTs('services/miner-sim/src/main.ts', [
      '--miners', '2', '--base-port', String(base + 1), '--truth-port', String(base), '--models', 's21',
      '--gpu-host', 'gpu-1:2:h100:400', '--cooling-fraction', '0.2', '--meter-port', '0', '--meter-preset', 'pm5xxx', '--meter-unit-id', '3',
    ]);
    const line = await sim.waitForLine(/listening/);
    expect(line).toMatch(/, 1 GPU host \(2 GPUs\), .*, meter modbus-tcp 127\.0\.0\.1:\d+ \(pm5xxx, unit 3\), ready in/);
    meter = /meter modbus-tcp (\S+)/.exec(line)![1]!;
    truthUrl = `http://127.0.0.1:${base}/truth`;
  });
  afterAll(() => sim.stop());

  it('--json prints the site power, which matches /truth within 1 %', async () => {
    const r = await runCli(['meter', meter, '--preset', 'pm5xxx', '--unit-id', '3', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { powerW: number; words: number[]; address: string; unitId: number; registerMap: unknown; elapsedMs: number };
    expect(out).toMatchObject({
      address: meter, unitId: 3, words: [expect.any(Number), expect.any(Number)],
      registerMap: { function: 'holding', address: 3059, type: 'float32', wordOrder: 'big', scale: 1000 },
    });
    expect(Math.abs(out.powerW / (await sitePowerW()) - 1)).toBeLessThan(0.01);
  });

  it('prints one readable line, with a register map from a file', async () => {
    const file = join(dir, 'pm5xxx.json');
    writeFileSync(file, JSON.stringify({ function: 'holding', address: 3059, type: 'float32', scale: 1000 }));
    const r = await runCli(['meter', meter, '--register-map', file, '--unit-id', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${meter} unit 3 \\(${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: holding 3059, float32 kW\\): [\\d,]+\\.\\d{3} kW active power, read in \\d+ ms\\n$`));
  });

  it('refuses a bad register map naming the field (exit 2), and reports a Modbus exception (exit 1)', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ function: 'holding', address: 3059, type: 'float', wordOrder: 'little', scale: 1000 }));
    const bad = await runCli(['meter', meter, '--register-map', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`wattbroker: ${file}: invalid register map\n  type: Invalid option: expected one of "float32"|"int32"|"uint32"|"int16"|"uint16"\n`);
    const wrong = await runCli(['meter', meter, '--preset', 'sdm630', '--unit-id', '3']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`wattbroker: meter ${meter}: Modbus exception 2 (illegal data address) reading input register 52 (float32) of unit 3 [exception]\n`);
  });

  it('says so in one line when nothing listens (exit 1), and on bad usage (exit 2)', async () => {
    const gone = `127.0.0.1:${await freePort()}`;
    const r = await runCli(['meter', gone, '--preset', 'sdm630', '--timeout', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^wattbroker: meter 127\.0\.0\.1:\d+: connection refused .*\[connection-refused\]\n$/);
    const usage = await runCli(['meter', meter, '--preset', 'sdm630', '--unit-id', '300']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('wattbroker: --unit-id: expected a whole number 0..255, got "300"\n');
  });
});

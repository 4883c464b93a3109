import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePortRange, spawnTs } from '@wattbroker/testkit';

const rssMiB = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
};

describe('pnpm miner-sim as a process', () => {
  it('starts 500 miners in a few seconds, under ~300 MB RSS, serves /truth, stops cleanly on SIGTERM', async () => {
    const base = await freePortRange(501);
    const started = Date.now();
    const sim = spawnTs('services/miner-sim/src/main.ts', ['--miners', '500', '--base-port', String(base + 1), '--truth-port', String(base)]);
    try {
      const line = await sim.waitForLine(/^miner-sim: 500 miners listening/, 30_000);
      const startupMs = Date.now() - started;
      expect(line).toContain(`127.0.0.1:${base + 1}-${base + 500}`);
      expect(startupMs).toBeLessThan(15_000); // wide margin: "a few seconds" is measured in the benchmarks doc
      const truth = (await (await fetch(`http://127.0.0.1:${base}/truth?perMiner=false`)).json()) as { miners: number; totalPowerW: number };
      expect(truth.miners).toBe(500);
      expect(truth.totalPowerW).toBeGreaterThan(500 * 2000);
      expect(rssMiB(sim.process.pid!)).toBeLessThan(300);
    } finally {
      expect(await sim.stop('SIGTERM')).toBe(0);
    }
  }, 60_000);

  it('rejects bad flags with a one-line reason and exit code 2', async () => {
    const sim = spawnTs('services/miner-sim/src/main.ts', ['--miners', '2', '--base-port', '4028', '--models', 's9']);
    expect(await sim.exited).toBe(2);
    expect(sim.stderr()).toMatch(/--models: unknown ASIC model "s9"/);
  });

  it('refuses bad GPU, cooling and meter flags with a one-line reason naming the flag and exit code 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--gpu-host', 'gpu-1:8:v100'], /--gpu-host gpu-1:8:v100: unknown GPU model "v100"/],
      [['--gpu-host', 'g:1', '--gpu-host', 'g:2'], /--gpu-host: host id "g" given twice/],
      [['--meter-preset', 'pm5xxx'], /--meter-preset, --meter-unit-id and --meter-noise-pct need --meter-port/],
      [['--meter-port', '0', '--meter-preset', 'sdm120'], /--meter-preset: unknown meter "sdm120" \(known: sdm630, pm5xxx\)/],
      [['--cooling-fraction=-1'], /--cooling-fraction: expected a number ≥ 0, got "-1"/],
    ];
    await Promise.all(cases.map(async ([flags, message]) => {
      const sim = spawnTs('services/miner-sim/src/main.ts', ['--miners', '1', '--base-port', '4028', ...flags]);
      expect(await sim.exited).toBe(2);
      expect(sim.stderr()).toMatch(message);
    }));
  }, 30_000); // five processes at once: slow to start on a loaded machine
});

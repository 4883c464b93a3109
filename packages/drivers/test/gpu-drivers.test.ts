import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NvidiaSmiDriver } from '../src/index.js';

describe('nvidia-smi driver (fake nvidia-smi on PATH that records its calls)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fake-nvsmi-'));
  const log = join(dir, 'calls.log');
  writeFileSync(join(dir, 'nvidia-smi'), `#!/bin/sh
echo "$@" >> "${log}"
case "$1" in
  --query-gpu=*) printf '0, NVIDIA H100 80GB HBM3, 312.45, 700.00, 200.00, 700.00, 87\\n1, NVIDIA H100 80GB HBM3, 64.10, 300.00, 200.00, 700.00, 0\\n' ;;
  -i) [ "$4" -gt 700 ] && { echo "Provided power limit $4.00 W is not a valid power limit" >&2; exit 2; }; echo "Power limit for GPU 0000:00:0$2.0 was set to $4.00 W from 700.00 W." ;;
  *) exit 1 ;;
esac
`);
  chmodSync(join(dir, 'nvidia-smi'), 0o755);
  process.env.PATH = `${dir}:${process.env.PATH}`;

  it('reads every GPU with the usual query', async () => {
    const gpus = await new NvidiaSmiDriver().read();
    expect(gpus).toEqual([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', powerW: 312.45, powerLimitW: 700, minLimitW: 200, maxLimitW: 700, utilizationPct: 87 },
      { index: 1, name: 'NVIDIA H100 80GB HBM3', powerW: 64.1, powerLimitW: 300, minLimitW: 200, maxLimitW: 700, utilizationPct: 0 },
    ]);
    expect(readFileSync(log, 'utf8')).toContain('--query-gpu=index,name,power.draw,power.limit,power.min_limit,power.max_limit,utilization.gpu --format=csv,noheader,nounits');
  });

  it('sets a limit with -i N -pl W and surfaces nvidia-smi\'s own error', async () => {
    const d = new NvidiaSmiDriver();
    await d.setPowerLimit(1, 450);
    expect(readFileSync(log, 'utf8')).toContain('-i 1 -pl 450');
    await expect(d.setPowerLimit(0, 900)).rejects.toThrow(/not a valid power limit/);
  });

  describe('as its own user: limits through sudo and infra/set-gpu-power-limit (fake sudo that runs the real helper)', () => {
    const helper = fileURLToPath(new URL('../../../infra/set-gpu-power-limit', import.meta.url));
    // The helper must reach the fake nvidia-smi, and sudo's own environment reset is not
    // there to drop the override (the real sudo does; the helper also ignores it under sudo).
    writeFileSync(join(dir, 'sudo'), `#!/bin/sh
echo "sudo $@" >> "${log}"
[ "$1" = "-n" ] || exit 1
shift
WATTBROKER_NVIDIA_SMI="${join(dir, 'nvidia-smi')}" exec "$@"
`);
    chmodSync(join(dir, 'sudo'), 0o755);

    it('sets a limit as sudo -n HELPER N W, which runs nvidia-smi -i N -pl W', async () => {
      await new NvidiaSmiDriver('nvidia-smi', 5000, helper).setPowerLimit(1, 451.4);
      const calls = readFileSync(log, 'utf8');
      expect(calls).toContain(`sudo -n ${helper} 1 451`);
      expect(calls).toContain('-i 1 -pl 451');
    });

    it('the helper takes two numbers and nothing else (no option reaches nvidia-smi)', async () => {
      const before = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('-i')).length;
      for (const args of [['1', '450', '-r'], ['1'], ['-r', '450'], ['1', '450 -r'], ['0x1', '450'], ['1', '4.5'], ['1', '1000000']]) {
        const r = spawnSync(helper, args, { env: { ...process.env, WATTBROKER_NVIDIA_SMI: join(dir, 'nvidia-smi') }, encoding: 'utf8' });
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stderr, args.join(' ')).toMatch(/^set-gpu-power-limit: .*usage: set-gpu-power-limit INDEX WATTS/);
      }
      expect(readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('-i')).length).toBe(before);
    });
  });
});

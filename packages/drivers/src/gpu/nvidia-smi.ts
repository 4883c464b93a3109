import { execFile } from 'node:child_process';
import type { GpuDriver, GpuReading } from './gpu-driver.js';

const QUERY = 'index,name,power.draw,power.limit,power.min_limit,power.max_limit,utilization.gpu';

function run(bin: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/** `[N/A]` and friends become NaN rather than a crash; callers see which field it was. */
function field(value: string | undefined, name: string, line: string): number {
  const n = Number(value?.trim());
  if (!Number.isFinite(n)) throw new Error(`nvidia-smi: ${name} is "${value?.trim()}" in "${line}"`);
  return n;
}

/**
 * Reads with `nvidia-smi --query-gpu … --format=csv,noheader,nounits` (any user); sets with
 * `-i N -pl W`, which needs root: an agent running as its own user sets limits through a
 * root helper instead (`sudo -n HELPER N W`, see infra/set-gpu-power-limit).
 */
export class NvidiaSmiDriver implements GpuDriver {
  constructor(
    private readonly bin = 'nvidia-smi',
    private readonly timeoutMs = 5000,
    /** Absolute path of the power-limit helper to run with `sudo -n`; none: nvidia-smi itself (as root). */
    private readonly powerLimitHelper?: string,
  ) {}

  async read(): Promise<GpuReading[]> {
    const out = await run(this.bin, [`--query-gpu=${QUERY}`, '--format=csv,noheader,nounits'], this.timeoutMs);
    return out.trim().split('\n').filter(Boolean).map((line) => {
      const f = line.split(',').map((s) => s.trim());
      return {
        index: field(f[0], 'index', line),
        name: f[1] ?? '',
        powerW: field(f[2], 'power.draw', line),
        powerLimitW: field(f[3], 'power.limit', line),
        minLimitW: field(f[4], 'power.min_limit', line),
        maxLimitW: field(f[5], 'power.max_limit', line),
        utilizationPct: field(f[6], 'utilization.gpu', line),
      };
    });
  }

  async setPowerLimit(index: number, watts: number): Promise<void> {
    const w = String(Math.round(watts));
    if (this.powerLimitHelper) await run('sudo', ['-n', this.powerLimitHelper, String(index), w], this.timeoutMs);
    else await run(this.bin, ['-i', String(index), '-pl', w], this.timeoutMs);
  }
}

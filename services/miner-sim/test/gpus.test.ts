import { describe, expect, it } from 'vitest';
import { gpuModel } from '@wattbroker/core';
import { EmulatedGpu, EmulatedGpuHost, LIMIT_ENFORCE_S, LOAD_SEGMENT_S, parseGpuHostSpec } from '../src/index.js';

/** A clock the test moves by hand: simulated seconds. */
const manualClock = () => {
  const c = { t: 0, simNow: () => c.t };
  return c;
};

describe('emulated GPU physics', () => {
  it('draws idle power when idle, and bursts inside its limit when busy', () => {
    const clock = manualClock();
    const gpu = new EmulatedGpu(gpuModel('h100'), 0, 3, clock);
    expect(gpu.truth()).toMatchObject({ powerW: 64, powerLimitW: 700, enforcedLimitW: 700, utilizationPct: 0, busy: false });
    gpu.setPowerLimit(350);
    gpu.setBusy(true);
    clock.t = LIMIT_ENFORCE_S;
    const samples: number[] = [];
    const loads: number[] = [];
    for (let k = 0; k < 400; k++, clock.t += LOAD_SEGMENT_S) {
      const t = gpu.truth();
      samples.push(t.powerW);
      loads.push(t.utilizationPct);
    }
    expect(Math.max(...samples)).toBe(350); // prompt bursts hit the limit…
    expect(Math.min(...samples)).toBeGreaterThan(64); // …decode still draws above idle
    const atLimit = samples.filter((w) => w === 350).length / samples.length;
    expect(atLimit).toBeGreaterThan(0.25);
    expect(atLimit).toBeLessThan(0.45);
    expect(Math.min(...loads)).toBeGreaterThanOrEqual(20);
    gpu.setBusy(false);
    expect(gpu.truth()).toMatchObject({ powerW: 64, utilizationPct: 0 });
  });

  it('enforces a new limit one simulated second after it is set, and reports the set value at once', () => {
    const clock = manualClock();
    const gpu = new EmulatedGpu(gpuModel('h100'), 1, 1, clock);
    gpu.setBusy(true);
    // Find a segment where the card runs at its limit, then lower the limit in it.
    while (gpu.truth().powerW < 700) clock.t += LOAD_SEGMENT_S;
    const start = clock.t;
    gpu.setPowerLimit(300);
    expect(gpu.truth()).toMatchObject({ powerLimitW: 300, enforcedLimitW: 700, powerW: 700 });
    clock.t = start + LIMIT_ENFORCE_S;
    expect(gpu.truth().enforcedLimitW).toBe(300);
    for (let k = 0; k < 50; k++, clock.t += LOAD_SEGMENT_S / 3) expect(gpu.truth().powerW).toBeLessThanOrEqual(300);
  });

  it('checks the limit range and says which card', () => {
    const gpu = new EmulatedGpu(gpuModel('a100'), 2, 1, manualClock());
    expect(() => gpu.setPowerLimit(90)).toThrow('90 W is outside 100..400 W for GPU 2 (NVIDIA A100-SXM4-80GB)');
    expect(() => gpu.setPowerLimit(401)).toThrow(RangeError);
    expect(() => gpu.setPowerLimit(Number.NaN)).toThrow(RangeError);
    expect(gpu.truth().powerLimitW).toBe(400);
  });

  it('gives the same load to two reads at the same instant, whatever else was read between', () => {
    const clock = manualClock();
    const a = new EmulatedGpuHost({ id: 'g', gpus: 2, model: 'h100', overheadW: 400 }, 9, clock);
    for (const g of a.gpus) g.setBusy(true);
    clock.t = 12.3;
    const first = a.truth();
    for (let i = 0; i < 5; i++) a.gpus[0]!.truth();
    expect(a.truth()).toEqual(first);
    expect(first.gpusW).toBe(first.gpus[0]!.powerW + first.gpus[1]!.powerW);
  });
});

describe('--gpu-host specs', () => {
  it('parses ID:COUNT[:MODEL[:OVERHEAD_W]] with defaults', () => {
    expect(parseGpuHostSpec('gpu-1:8:h100:400')).toEqual({ id: 'gpu-1', gpus: 8, model: 'h100', overheadW: 400 });
    expect(parseGpuHostSpec('g2:2')).toEqual({ id: 'g2', gpus: 2, model: 'h100', overheadW: 400 });
    expect(parseGpuHostSpec('g3:1:rtx4090')).toEqual({ id: 'g3', gpus: 1, model: 'rtx4090', overheadW: 400 });
  });

  it('names the bad part', () => {
    expect(() => parseGpuHostSpec('gpu-1')).toThrow('expected ID:COUNT[:MODEL[:OVERHEAD_W]], got "gpu-1"');
    expect(() => parseGpuHostSpec('gpu 1:8')).toThrow('host id "gpu 1": letters, digits and . _ - only');
    expect(() => parseGpuHostSpec('gpu-1:0')).toThrow('GPU count "0": expected a whole number 1..64');
    expect(() => parseGpuHostSpec('gpu-1:8:v100')).toThrow(/unknown GPU model "v100" \(known: h100, h200, a100, rtx4090\)/);
    expect(() => parseGpuHostSpec('gpu-1:8:h100:-5')).toThrow('host overhead "-5": expected watts ≥ 0');
    expect(() => parseGpuHostSpec('gpu-1:8:h100:400:x')).toThrow(/expected ID:COUNT/);
  });
});

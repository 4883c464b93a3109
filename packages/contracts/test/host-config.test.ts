import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HostConfigSchema, InputError, parseInput } from '../src/index.js';

const gpuHost = (patch: Record<string, unknown> = {}, gpus?: unknown[]) => ({
  hostId: 'gpu-1', kind: 'gpu', emulatorUrl: 'http://127.0.0.1:14027',
  gpus: gpus ?? [{ id: 'g0', driver: 'emulated', index: 0 }, { id: 'g1', driver: 'emulated', index: 1 }],
  ...patch,
});

function issues(value: unknown) {
  try {
    parseInput(HostConfigSchema, value, 'gpu-1.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).issues;
  }
  throw new Error('expected a validation error');
}

describe('GPU host file', () => {
  it('declares inference endpoints (base URLs, no credentials, query or fragment) and the power-limit helper for real cards', () => {
    const c = parseInput(HostConfigSchema, gpuHost({ endpoints: { vllm: 'http://127.0.0.1:8000', ollama: 'http://127.0.0.1:11434/api' } }), 'gpu-1.json');
    expect(c).toMatchObject({ endpoints: { vllm: 'http://127.0.0.1:8000', ollama: 'http://127.0.0.1:11434/api' }, maxResponseBytes: 8 * 1024 ** 2 });
    expect(parseInput(HostConfigSchema, gpuHost({}), 'gpu-1.json')).toMatchObject({ endpoints: {} });
    expect(issues(gpuHost({ endpoints: { x: 'file:///etc/passwd' } })).map((i) => i.field)).toEqual(['endpoints.x']);
    expect(issues(gpuHost({ endpoints: { x: 'http://u:p@127.0.0.1:8000' } }))).toEqual([{ field: 'endpoints.x', message: 'a base URL without credentials, query or fragment' }]);
    expect(issues(gpuHost({ endpoints: { 'a b': 'http://127.0.0.1:8000' } })).map((i) => i.field)).toEqual(['endpoints["a b"]']);
    const real = [{ id: 'g0', driver: 'nvidia-smi', index: 0 }];
    expect(parseInput(HostConfigSchema, gpuHost({ emulatorUrl: undefined, powerLimitHelper: '/usr/local/lib/wattbroker/set-gpu-power-limit' }, real), 'gpu-1.json'))
      .toMatchObject({ powerLimitHelper: '/usr/local/lib/wattbroker/set-gpu-power-limit' });
    expect(issues(gpuHost({ emulatorUrl: undefined, powerLimitHelper: 'set-limit; rm -rf /' }, real)).map((i) => i.field)).toEqual(['powerLimitHelper']);
    expect(issues(gpuHost({ powerLimitHelper: '/usr/local/lib/wattbroker/set-gpu-power-limit' }))).toEqual([{ field: 'powerLimitHelper', message: 'only used with driver "nvidia-smi" (the GPUs use "emulated")' }]);
  });

  it('accepts emulated GPUs with the emulator URL', () => {
    const c = parseInput(HostConfigSchema, gpuHost(), 'gpu-1.json');
    expect(c).toMatchObject({ kind: 'gpu', hostOverheadW: 400, emulatorUrl: 'http://127.0.0.1:14027', gpus: [{ driver: 'emulated', model: 'h100' }, { index: 1 }] });
  });

  it('names the field when the emulator URL is missing, bad, or not wanted', () => {
    expect(issues(gpuHost({ emulatorUrl: undefined }))).toEqual([{ field: 'emulatorUrl', message: 'required when the GPUs use driver "emulated"' }]);
    expect(issues(gpuHost({ emulatorUrl: 'ftp://x' })).map((i) => i.field)).toEqual(['emulatorUrl']);
    expect(issues(gpuHost({}, [{ id: 'g0', driver: 'nvidia-smi', index: 0 }]))).toEqual([{ field: 'emulatorUrl', message: 'only used with driver "emulated" (the GPUs use "nvidia-smi")' }]);
  });

  it('refuses mixed drivers, duplicate indexes, and the retired in-process sim driver', () => {
    expect(issues(gpuHost({}, [{ id: 'g0', driver: 'emulated', index: 0 }, { id: 'g1', driver: 'nvidia-smi', index: 0 }]))).toEqual([
      { field: 'gpus[1].driver', message: 'one driver per host: gpus[0] uses "emulated", this one "nvidia-smi"' },
      { field: 'gpus[1].index', message: 'duplicate GPU index 0' },
    ]);
    const [sim] = issues(gpuHost({}, [{ id: 'g0', driver: 'sim', index: 0 }]));
    expect(sim).toEqual({ field: 'gpus[0].driver', message: expect.stringMatching(/^expected one of "nvidia-smi", "emulated" \(the in-process "sim" driver became "emulated"/) });
  });
});

describe('example host files', () => {
  const dir = new URL('../../../examples/hosts/', import.meta.url);
  it.each(readdirSync(dir).filter((f) => f.endsWith('.json')))('%s is valid', (file) => {
    expect(() => parseInput(HostConfigSchema, JSON.parse(readFileSync(new URL(file, dir), 'utf8')), file)).not.toThrow();
  });
});

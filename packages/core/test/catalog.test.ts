import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ASIC_MODEL_KEYS, ASIC_MODELS, GPU_MODELS, generateFleet, makeAsicUnit, plannerProfiles, profileTable,
} from '../src/index.js';

interface LuxProfile {
  'Profile Name': string; Frequency: number; Voltage: number; Hashrate: number; Watts: number; Step: string;
}
const fixture = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/luxos/profiles.json', import.meta.url), 'utf8'),
) as { PROFILES: LuxProfile[] };

describe('S19k Pro table against the recorded LuxOS table', () => {
  const table = profileTable(ASIC_MODELS.s19kpro);

  it('has the same 25 rows: names, steps, frequencies and voltages', () => {
    expect(table).toHaveLength(25);
    for (const row of fixture.PROFILES) {
      const ours = table.find((p) => p.name === row['Profile Name']);
      expect(ours, row['Profile Name']).toBeDefined();
      expect(ours!.step).toBe(Number(row.Step));
      expect(ours!.frequencyMHz).toBe(row.Frequency);
      expect(ours!.voltageV).toBeCloseTo(row.Voltage, 2);
    }
  });

  it('matches power and hashrate within 2 % on every row', () => {
    let worst = 0;
    for (const row of fixture.PROFILES) {
      const ours = table.find((p) => p.name === row['Profile Name'])!;
      const powerErr = Math.abs(ours.powerW / row.Watts - 1);
      const hashErr = Math.abs(ours.hashrateThs / row.Hashrate - 1);
      expect(powerErr, `${row['Profile Name']} power ${ours.powerW} vs ${row.Watts}`).toBeLessThanOrEqual(0.02);
      expect(hashErr, `${row['Profile Name']} hashrate`).toBeLessThanOrEqual(0.02);
      worst = Math.max(worst, powerErr);
    }
    // The fitted model is much closer than the 2 % the issue allows; keep it that way.
    expect(worst).toBeLessThan(0.012);
  });
});

describe('catalog', () => {
  it.each(ASIC_MODEL_KEYS)('%s: default row at nameplate, 16 under- and 8 over-clock steps, voltage floor', (key) => {
    const model = ASIC_MODELS[key];
    const table = profileTable(model);
    expect(table).toHaveLength(25);
    expect(table[0]!.step).toBe(-16);
    expect(table.at(-1)!.step).toBe(8);
    const def = table.find((p) => p.name === 'default')!;
    expect(def.powerW).toBe(model.nominalW);
    expect(def.hashrateThs).toBeCloseTo(model.nominalThs, 1);
    for (const p of table) expect(p.voltageV).toBeGreaterThanOrEqual(model.voltageFloorV);
    for (let i = 1; i < table.length; i++) {
      expect(table[i]!.frequencyMHz - table[i - 1]!.frequencyMHz).toBe(25);
      expect(table[i]!.powerW).toBeGreaterThan(table[i - 1]!.powerW);
    }
    // Under-clocking improves efficiency down to the floor.
    const floorRow = table.find((p) => p.voltageV === model.voltageFloorV)!;
    expect(floorRow.powerW / floorRow.hashrateThs).toBeLessThan(def.powerW / def.hashrateThs);
  });

  it('units vary by seed and id, reproducibly, with a sleep option at ~25 W', () => {
    const a = makeAsicUnit('s19kpro', 'm-0001', 7);
    const b = makeAsicUnit('s19kpro', 'm-0001', 7);
    expect(b).toEqual(a);
    const others = Array.from({ length: 50 }, (_, i) => makeAsicUnit('s19kpro', `m-${i}`, 7));
    expect(new Set(others.map((u) => u.voltageOffsetV)).size).toBeGreaterThan(3);
    for (const u of others) {
      expect(Math.abs(u.powerBias - 1)).toBeLessThanOrEqual(0.1);
    }
    const sleep = plannerProfiles(a)[0]!;
    expect(sleep).toEqual({ name: 'sleep', powerW: 25, hashrateThs: 0 });
  });

  it('generates a mixed fleet of the requested stock power', () => {
    const fleet = generateFleet({ stockW: 5e6, seed: 1 });
    const stock = fleet.reduce((s, u) => s + u.model.nominalW, 0);
    expect(Math.abs(stock / 5e6 - 1)).toBeLessThan(0.01);
    expect(new Set(fleet.map((u) => u.model.key)).size).toBe(5);
    expect(generateFleet({ stockW: 5e6, seed: 1 })).toEqual(fleet);
  });

  it('has GPUs with sane limits', () => {
    for (const g of Object.values(GPU_MODELS)) {
      expect(g.minLimitW).toBeLessThan(g.maxLimitW);
      expect(g.idleW).toBeLessThan(g.minLimitW);
    }
    expect(GPU_MODELS.h100.maxLimitW).toBe(700);
  });
});

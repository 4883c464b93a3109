import { gaussian, mulberry32, seedFrom } from '../rng.js';
import { asicModel, type AsicModel, type AsicModelKey } from './asic-models.js';
import { profileTable, SLEEP_PROFILE, type ProfileSpec } from './profile-table.js';

/**
 * One physical miner: its model plus its silicon lottery. Two units of one model have
 * different tables (their default voltage differs) and draw differently from what their
 * table says (`powerBias`, the reason the scheduler trusts telemetry over tables).
 */
export interface AsicUnit {
  readonly id: string;
  readonly model: AsicModel;
  readonly serial: string;
  /** Offset of this unit's default voltage from the model's typical value. */
  readonly voltageOffsetV: number;
  /** True wall power ÷ LuxOS estimate for this unit (about ±10 %). */
  readonly powerBias: number;
  /** LuxOS table, ordered by step. */
  readonly profiles: readonly ProfileSpec[];
  readonly sleepW: number;
}

/** A planner option: a profile or sleep, with the power and hashrate the planner budgets. */
export interface PlannerProfile {
  readonly name: string;
  readonly powerW: number;
  readonly hashrateThs: number;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Build a unit whose variation is a pure function of (seed, id): reproducible fleets. */
export function makeAsicUnit(model: AsicModel | AsicModelKey, id: string, seed: number): AsicUnit {
  const m = typeof model === 'string' ? asicModel(model) : model;
  const rng = mulberry32(seedFrom(seed, id));
  // σ 0.08 V, clamped: enough to shift a row's estimate by a few %, as seen between units.
  const voltageOffsetV = Math.round(clamp(0.08 * gaussian(rng), -0.2, 0.2) * 100) / 100;
  const powerBias = clamp(1 + 0.04 * gaussian(rng), 0.9, 1.1);
  const serial = 'JYZZ' + Math.floor(rng() * 36 ** 8).toString(36).toUpperCase().padStart(8, '0') + 'RB';
  return {
    id,
    model: m,
    serial,
    voltageOffsetV,
    powerBias,
    profiles: profileTable(m, voltageOffsetV),
    sleepW: m.sleepW,
  };
}

/** The options the planner may choose for a unit: sleep plus every profile. */
export function plannerProfiles(unit: AsicUnit): PlannerProfile[] {
  return [
    { name: SLEEP_PROFILE, powerW: unit.sleepW, hashrateThs: 0 },
    ...unit.profiles.map((p) => ({ name: p.name, powerW: p.powerW, hashrateThs: p.hashrateThs })),
  ];
}

export function defaultProfile(unit: AsicUnit): ProfileSpec {
  const p = unit.profiles.find((row) => row.step === 0);
  if (!p) throw new Error(`unit ${unit.id} has no default profile`);
  return p;
}

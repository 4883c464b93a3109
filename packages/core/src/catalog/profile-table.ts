import {
  POWER_EXPONENT_FREQUENCY as ALPHA,
  POWER_EXPONENT_VOLTAGE as BETA,
  type AsicModel,
} from './asic-models.js';

/** One row of a LuxOS `profiles` table. */
export interface ProfileSpec {
  /** `default`, or the frequency as LuxOS names it (`"190MHz"`). */
  readonly name: string;
  /** −16 … +8; LuxOS reports it as a string, we keep the number. */
  readonly step: number;
  readonly frequencyMHz: number;
  readonly voltageV: number;
  /** LuxOS's estimate, rounded as LuxOS rounds (0.1 TH/s). */
  readonly hashrateThs: number;
  /** LuxOS's estimate, whole watts. */
  readonly powerW: number;
}

export const SLEEP_PROFILE = 'sleep';

export function profileName(step: number, frequencyMHz: number): string {
  return step === 0 ? 'default' : `${frequencyMHz}MHz`;
}

/** Voltage of a step for a unit whose default voltage is `defaultVoltageV`. */
export function stepVoltage(model: AsicModel, step: number, defaultVoltageV: number): number {
  return Math.max(model.voltageFloorV, defaultVoltageV + step * model.voltageStepV);
}

/** Power-model estimate (unrounded) at an operating point. */
export function estimatePowerW(model: AsicModel, frequencyMHz: number, voltageV: number): number {
  const k = model.nominalW / (model.defaultMHz ** ALPHA * model.defaultVoltageV ** BETA);
  return k * frequencyMHz ** ALPHA * voltageV ** BETA;
}

/** Hashrate estimate (unrounded): proportional to frequency. */
export function estimateHashrateThs(model: AsicModel, frequencyMHz: number): number {
  return (model.nominalThs / model.defaultMHz) * frequencyMHz;
}

const round = (x: number, digits: number): number => {
  const m = 10 ** digits;
  return Math.round(x * m) / m;
};

/**
 * The 25-row LuxOS table of one unit, ordered by step (−16 … +8). `voltageOffsetV` is the
 * unit's silicon-lottery offset of its default voltage: two units of one model differ.
 */
export function profileTable(model: AsicModel, voltageOffsetV = 0): ProfileSpec[] {
  const rows: ProfileSpec[] = [];
  const v0 = model.defaultVoltageV + voltageOffsetV;
  for (let step = -model.underclockSteps; step <= model.overclockSteps; step++) {
    const frequencyMHz = model.defaultMHz + step * model.frequencyStepMHz;
    const voltageV = round(stepVoltage(model, step, v0), 2);
    rows.push({
      name: profileName(step, frequencyMHz),
      step,
      frequencyMHz,
      voltageV,
      hashrateThs: round(estimateHashrateThs(model, frequencyMHz), 1),
      powerW: Math.round(estimatePowerW(model, frequencyMHz, voltageV)),
    });
  }
  return rows;
}

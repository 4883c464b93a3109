/**
 * ASIC models and how their LuxOS-style profile tables are generated.
 *
 * Figures come from vendor datasheets and LuxOS profile tables (summarised in docs/design.md,
 * "Hardware figures"). Where a figure is an estimate
 * (default clock and voltage of models we have no recorded table for) it is a field of the
 * model, not a constant buried in code.
 *
 * Power model: `W = k · f^α · V^β`. α and β were fitted to the real S19k Pro table
 * (`test/fixtures/luxos/profiles.json`) with k pinned so that the default row equals the
 * nameplate wall power; every row then lands within 1.1 % of the recorded estimate (the
 * catalog test checks ≤ 2 %). Other models reuse α and β and get their own k from their
 * nameplate figures, so each table is anchored at the numbers the vendor publishes.
 */
export interface AsicModel {
  /** Short key used on command lines and in config files, e.g. `s19kpro`. */
  readonly key: string;
  /** The model string the firmware reports (`config.Model`, `version.Type`). */
  readonly name: string;
  readonly nominalThs: number;
  /** Wall power at the default profile. */
  readonly nominalW: number;
  readonly defaultMHz: number;
  /** Board voltage at the default profile for a typical unit (est. where no table exists). */
  readonly defaultVoltageV: number;
  /** Below this voltage the firmware does not go, so efficiency stops improving. */
  readonly voltageFloorV: number;
  /** Voltage change per frequency step. */
  readonly voltageStepV: number;
  readonly frequencyStepMHz: number;
  readonly underclockSteps: number;
  readonly overclockSteps: number;
  /** Draw while asleep (control board and fans; PSU off). */
  readonly sleepW: number;
  /** Number of hashboards (devs entries). */
  readonly boards: number;
}

/** Exponents of the power model, fitted to the recorded S19k Pro table (see file comment). */
export const POWER_EXPONENT_FREQUENCY = 0.96608;
export const POWER_EXPONENT_VOLTAGE = 1.33352;

const luxosSteps = { frequencyStepMHz: 25, underclockSteps: 16, overclockSteps: 8 } as const;

export const ASIC_MODELS = {
  s21: {
    key: 's21', name: 'Antminer S21', nominalThs: 200, nominalW: 3500, defaultMHz: 490,
    defaultVoltageV: 13.3, voltageFloorV: 11.7, voltageStepV: 0.15, sleepW: 25, boards: 3,
    ...luxosSteps,
  },
  s21xp: {
    key: 's21xp', name: 'Antminer S21 XP', nominalThs: 270, nominalW: 3645, defaultMHz: 500,
    defaultVoltageV: 13.0, voltageFloorV: 11.4, voltageStepV: 0.15, sleepW: 25, boards: 3,
    ...luxosSteps,
  },
  s19xp: {
    key: 's19xp', name: 'Antminer S19 XP', nominalThs: 140, nominalW: 3010, defaultMHz: 535,
    defaultVoltageV: 13.6, voltageFloorV: 12.0, voltageStepV: 0.15, sleepW: 25, boards: 3,
    ...luxosSteps,
  },
  s19kpro: {
    key: 's19kpro', name: 'Antminer S19k Pro', nominalThs: 121.8, nominalW: 2794, defaultMHz: 590,
    defaultVoltageV: 13.5, voltageFloorV: 11.88, voltageStepV: 0.15, sleepW: 25, boards: 3,
    ...luxosSteps,
  },
  s19jpro: {
    key: 's19jpro', name: 'Antminer S19j Pro', nominalThs: 104, nominalW: 3068, defaultMHz: 545,
    defaultVoltageV: 14.2, voltageFloorV: 12.6, voltageStepV: 0.15, sleepW: 25, boards: 3,
    ...luxosSteps,
  },
} as const satisfies Record<string, AsicModel>;

export type AsicModelKey = keyof typeof ASIC_MODELS;
export const ASIC_MODEL_KEYS = Object.keys(ASIC_MODELS) as AsicModelKey[];

export function asicModel(key: string): AsicModel {
  const model = (ASIC_MODELS as Record<string, AsicModel>)[key];
  if (!model) {
    throw new RangeError(`unknown ASIC model "${key}" (known: ${ASIC_MODEL_KEYS.join(', ')})`);
  }
  return model;
}

import { ASIC_MODELS, asicModel, type AsicModelKey } from './asic-models.js';
import { makeAsicUnit, type AsicUnit } from './asic-unit.js';

/** Share of the fleet's stock power per model; need not sum to 1 (normalised). */
export type FleetMix = Partial<Record<AsicModelKey, number>>;

/** A believable mixed site: new-generation S21s beside older S19s. */
export const DEFAULT_MIX: FleetMix = { s21: 0.28, s21xp: 0.22, s19xp: 0.18, s19kpro: 0.22, s19jpro: 0.1 };

export interface FleetSpec {
  /** Either an exact number of miners … */
  readonly miners?: number;
  /** … or a stock (default-profile) power to fill. */
  readonly stockW?: number;
  readonly mix?: FleetMix;
  readonly seed: number;
  /** Id prefix; ids are `<prefix>-0001`, … */
  readonly idPrefix?: string;
}

/**
 * Generate a reproducible mixed fleet. Models are interleaved (largest remainder per miner)
 * rather than blocked, so any prefix of the fleet has roughly the same mix.
 */
export function generateFleet(spec: FleetSpec): AsicUnit[] {
  const mix = spec.mix ?? DEFAULT_MIX;
  const keys = (Object.keys(mix) as AsicModelKey[]).filter((k) => (mix[k] ?? 0) > 0);
  if (keys.length === 0) throw new RangeError('fleet mix is empty');
  const total = keys.reduce((s, k) => s + (mix[k] ?? 0), 0);
  const shares = keys.map((k) => (mix[k] ?? 0) / total);
  // Power share → count share: divide by each model's stock power.
  const weights = keys.map((k, i) => shares[i]! / asicModel(k).nominalW);
  const wsum = weights.reduce((a, b) => a + b, 0);
  const countShare = weights.map((w) => w / wsum);
  const meanW = keys.reduce((s, k, i) => s + countShare[i]! * ASIC_MODELS[k].nominalW, 0);
  const count = spec.miners ?? Math.round((spec.stockW ?? 0) / meanW);
  if (!Number.isInteger(count) || count < 0) throw new RangeError('fleet size must be a whole number ≥ 0');
  const prefix = spec.idPrefix ?? 'm';
  const width = Math.max(4, String(count).length);
  const placed = keys.map(() => 0);
  const units: AsicUnit[] = [];
  for (let i = 0; i < count; i++) {
    // Pick the model furthest behind its share so far.
    let best = 0;
    let bestLag = -Infinity;
    for (let j = 0; j < keys.length; j++) {
      const lag = countShare[j]! * (i + 1) - placed[j]!;
      if (lag > bestLag) {
        bestLag = lag;
        best = j;
      }
    }
    placed[best] = placed[best]! + 1;
    const id = `${prefix}-${String(i + 1).padStart(width, '0')}`;
    units.push(makeAsicUnit(keys[best]!, id, spec.seed));
  }
  return units;
}

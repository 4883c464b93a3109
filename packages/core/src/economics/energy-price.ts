import type { EnergyPriceRecord } from '@wattbroker/contracts';

export type EnergyPrice = EnergyPriceRecord;

/**
 * The price at `now`, and a key that changes exactly when a new observation begins (a new
 * constant, or the next interval), so that strike hysteresis counts intervals, not steps.
 * Outside every interval there is no price (the price stop is off).
 */
export function priceAt(p: EnergyPrice, now: number): { pricePerMWh: number; key: string } | undefined {
  if (p.kind === 'constant') return { pricePerMWh: p.pricePerMWh, key: `c:${p.setAt}` };
  const i = p.intervals.findIndex((x) => x.start <= now && now < x.end);
  if (i < 0) return undefined;
  return { pricePerMWh: p.intervals[i]!.pricePerMWh, key: `i:${p.intervals[i]!.start}` };
}

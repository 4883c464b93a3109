import type { Economics } from '../planner/planner.js';
import type { Policy } from '../policy/policy.js';
import type { SiteState } from '../state/site-state.js';
import { priceAt } from './energy-price.js';
import { initialStrike, strikeObserve } from './strike-filter.js';

/**
 * Reducer: count the price interval in force at `now` once (strike hysteresis counts
 * intervals, not control steps). Run at the start of every step.
 */
export function observePrice(state: SiteState, policy: Policy, now: number): void {
  const cur = state.energyPrice ? priceAt(state.energyPrice, now) : undefined;
  if (cur && cur.key !== state.strike.lastKey) {
    state.strike = strikeObserve(state.strike, cur.pricePerMWh, policy.priceStrikeIntervals, policy.priceDeadband, cur.key);
  }
}

/** Reducer: a new energy price. A constant is an operator's decision, in force at once; strike hysteresis is for series. */
export function setEnergyPrice(state: SiteState, price: SiteState['energyPrice']): void {
  state.energyPrice = price;
  if (price?.kind === 'constant') state.strike = { ...initialStrike(), value: price.pricePerMWh, lastKey: `c:${price.setAt}` };
}

/** Reducer: hashprice, $ per TH/s per day; undefined turns the price stop off. */
export function setHashprice(state: SiteState, usdPerThDay: number | undefined): void {
  state.hashprice = usdPerThDay;
}

/** Prices for the planner's stop: only with a price in force now, a filtered value and a hashprice. */
export function economicsAt(state: SiteState, now: number): Economics | undefined {
  const cur = state.energyPrice ? priceAt(state.energyPrice, now) : undefined;
  const effective = state.strike.value;
  if (!cur || effective === undefined || state.hashprice === undefined) return undefined;
  return { energyPricePerMWh: effective, hashpricePerThDay: state.hashprice };
}

/** Raw and strike-filtered energy price in force at `now`, and the hashprice. */
export function pricesView(state: SiteState, now: number): { rawPricePerMWh?: number; effectivePricePerMWh?: number; hashpricePerThDay?: number } {
  const cur = state.energyPrice ? priceAt(state.energyPrice, now) : undefined;
  return {
    ...(cur ? { rawPricePerMWh: cur.pricePerMWh } : {}),
    ...(cur && state.strike.value !== undefined ? { effectivePricePerMWh: state.strike.value } : {}),
    ...(state.hashprice !== undefined ? { hashpricePerThDay: state.hashprice } : {}),
  };
}

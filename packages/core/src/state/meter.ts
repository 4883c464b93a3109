import { sitePowerW, type CoolingModel } from '../site/site-model.js';
import type { SiteState } from './site-state.js';

/** Weight of one meter reading in the learned overhead correction (an average over ~20 s at one a second). */
const LEARN_WEIGHT = 0.05;

/** The cooling/overhead model the site runs on: the configured one plus what the meter taught it. */
export function modelCooling(state: Pick<SiteState, 'cooling' | 'overheadCorrectionW'>): CoolingModel {
  return { fixedW: state.cooling.fixedW + state.overheadCorrectionW, fractionOfIt: state.cooling.fractionOfIt };
}

/** The IT load the devices' readings and the hosts' chassis add up to (W). */
export function measuredItW(state: SiteState): number {
  let w = 0;
  for (const h of state.hosts.values()) w += h.overheadW;
  for (const d of state.deviceList) w += d.reading?.powerW ?? 0;
  return w;
}

/**
 * Reducer: a reading of the site meter at the point of connection. It is kept (the cap is
 * enforced on the larger of metered and modelled power) and it teaches the model what it
 * misses: the difference between the meter and IT + cooling is averaged into a correction
 * of the model's fixed overhead (bounded, so that a wrong register cannot talk the model into
 * anything: a reading more than half the site off is not learned from).
 */
export function foldMeter(state: SiteState, reading: { powerW: number; at: number }): void {
  state.meter = { ...reading };
  const modelled = sitePowerW(state.cooling, measuredItW(state));
  const residual = reading.powerW - modelled;
  if (modelled > 0 && Math.abs(residual) <= 0.5 * modelled) {
    state.overheadCorrectionW = (1 - LEARN_WEIGHT) * state.overheadCorrectionW + LEARN_WEIGHT * residual;
  }
}

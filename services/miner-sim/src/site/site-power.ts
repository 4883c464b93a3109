/**
 * The whole site as the meter at the point of connection sees it: IT load (miners, GPUs,
 * the GPU servers' chassis) plus cooling, which grows with the IT load and has a fixed part
 * (pumps, dry coolers, lights). This is the emulator's physics; the scheduler has its own
 * model with its own flags, and the two may differ, as on a real site.
 */
export interface CoolingModel {
  /** Cooling per W of IT load. @defaultValue 0.1 */
  readonly fraction: number;
  /** Cooling drawn whatever the load, W. @defaultValue 0 */
  readonly fixedW: number;
}

export const DEFAULT_COOLING: CoolingModel = { fraction: 0.1, fixedW: 0 };

export interface SitePowerTruth {
  /** (minersW + gpusW + hostOverheadW) × (1 + fraction) + fixedW */
  sitePowerW: number;
  minersW: number;
  gpusW: number;
  hostOverheadW: number;
  coolingW: number;
}

export function sitePower(it: { minersW: number; gpusW: number; hostOverheadW: number }, cooling: CoolingModel): SitePowerTruth {
  // Round the parts first so that the fields add up as printed (to 0.1 W).
  const r = (w: number) => Math.round(w * 10) / 10;
  const [minersW, gpusW, hostOverheadW] = [r(it.minersW), r(it.gpusW), r(it.hostOverheadW)];
  const itW = minersW + gpusW + hostOverheadW;
  const coolingW = r(itW * cooling.fraction + cooling.fixedW);
  return { sitePowerW: r(itW + coolingW), minersW, gpusW, hostOverheadW, coolingW };
}

/**
 * The site: what the contract allows, what cooling costs and how the load is split into
 * zones (feeders or cooling zones with their own limits). Pure arithmetic; the scheduler
 * feeds it grid events and readings.
 */
export interface CoolingModel {
  /** Overhead that does not scale with load (pumps, lighting, control). */
  readonly fixedW: number;
  /** Overhead per watt of IT load (fans, chillers): 0.1–0.4 for air, less for immersion. */
  readonly fractionOfIt: number;
}

export interface Zone {
  readonly id: string;
  /** Limit on the IT load of the devices in this zone (W). */
  readonly limitW: number;
}

export interface SiteModel {
  readonly contractCapW: number;
  /** Head-room kept below every cap for meter error and the time a shed takes. */
  readonly safetyMarginW: number;
  readonly cooling: CoolingModel;
  readonly zones: readonly Zone[];
}

export interface CapBreakdown {
  /** The cap the site is run to: the smallest limit minus the safety margin (W). */
  readonly effectiveCapW: number;
  /** The smallest limit before the margin. */
  readonly limitW: number;
  /** What sets it: `contract`, `grid`, or `zones`. */
  readonly binding: 'contract' | 'grid' | 'zones';
}

/** Site power for a given IT load under the cooling model. */
export function sitePowerW(cooling: CoolingModel, itW: number): number {
  return itW + cooling.fixedW + cooling.fractionOfIt * itW;
}

/** Largest IT load whose site power stays within `sitePowerCapW` (the inverse of sitePowerW). */
export function itBudgetW(cooling: CoolingModel, sitePowerCapW: number): number {
  return Math.max(0, (sitePowerCapW - cooling.fixedW) / (1 + cooling.fractionOfIt));
}

/**
 * Effective cap = min(contract, active grid caps, zone limits) − margin. Zone limits count
 * as a site-level limit through their sum (with the cooling they imply); each zone also
 * binds on its own in the planner.
 */
export function effectiveCap(site: SiteModel, activeGridCapsW: readonly number[] = []): CapBreakdown {
  let limitW = site.contractCapW;
  let binding: CapBreakdown['binding'] = 'contract';
  for (const cap of activeGridCapsW) {
    if (cap < limitW) {
      limitW = cap;
      binding = 'grid';
    }
  }
  if (site.zones.length > 0) {
    const zonesW = sitePowerW(site.cooling, site.zones.reduce((s, z) => s + z.limitW, 0));
    if (zonesW < limitW) {
      limitW = zonesW;
      binding = 'zones';
    }
  }
  return { effectiveCapW: Math.max(0, limitW - site.safetyMarginW), limitW, binding };
}

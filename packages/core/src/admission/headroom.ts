import type { PriorityClass } from '@wattbroker/contracts';
import { classZones } from '../policy/class-zones.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { SiteState } from '../state/site-state.js';

/**
 * What GPU jobs of a class may take, by the priority list: the miners can be stepped down to
 * their lowest draw, except that ASIC classes ranked above the job keep their floors (each
 * over its own miners, or the pool's), and GPU classes ranked above it with a minimum keep
 * that much free.
 */
export interface ClassLimits {
  /** Miner draw that must stay (lowest profiles, floors of higher ASIC classes), W. */
  readonly minersW: number;
  /** Part of minersW that is floors of higher classes (0: only the lowest profiles). */
  readonly floorExtraW: number;
  readonly floorsText: string;
  /** Power kept free for higher GPU classes' minimums. */
  readonly keptFreeW: number;
}

/** Power reserved by the admitting and running jobs of a class (W). */
export function classReservationW(state: SiteState, name: string): number {
  let w = 0;
  for (const j of state.jobs.values()) {
    if (j.class === name && (j.state === 'admitting' || j.state === 'running')) w += j.gpus * (j.limitW ?? 0);
  }
  return w;
}

export function classLimits(snap: Snapshot, state: SiteState, rank: number): ClassLimits {
  const above: readonly PriorityClass[] = state.priorities.slice(0, rank);
  const floorAbove = classZones(above.filter((c) => c.kind === 'asic'));
  let minersW = 0;
  let floorExtraW = 0;
  for (const [zone, d] of snap.zoneDraws) {
    const floor = floorAbove.floors.find((f) => f.zone === zone);
    const extra = floor ? Math.max(0, Math.min(floor.minW, d.maxW) - d.minW) : 0;
    minersW += d.minW + extra;
    floorExtraW += extra;
  }
  let keptFreeW = 0;
  for (const c of above) {
    if (c.kind === 'gpu' && c.minKw !== undefined) keptFreeW += Math.max(0, c.minKw * 1000 - classReservationW(state, c.name));
  }
  const totalKw = (floorAbove.floors.reduce((sum, f) => sum + f.minW, 0) / 1000).toFixed(1);
  const parts = floorAbove.floors.map((f) => `${f.zone || 'unlisted miners'} ${(f.minW / 1000).toFixed(1)} kW`).join(', ');
  return { minersW, floorExtraW, keptFreeW, floorsText: `the ${totalKw} kW floor of higher classes (${parts})` };
}

/** Why a job of these limits cannot add `extraW` now, or undefined when it can. */
export function powerBlock(limits: ClassLimits, availableW: number, extraW: number): string | undefined {
  if (extraW <= availableW) return undefined;
  if (limits.floorExtraW > 0) return `would take the miners below ${limits.floorsText}`;
  if (limits.keptFreeW > 0) return `would use the ${(limits.keptFreeW / 1000).toFixed(1)} kW kept free for higher GPU classes`;
  return 'does not fit even with every miner at its lowest profile';
}

import type { PriorityClass } from '@wattbroker/contracts';
import type { ZoneFloor } from '../planner/floors.js';

/**
 * The operators' priority list as planner zones. An ASIC class that lists its miners is a
 * zone of its own (its floor and maximum bound those miners alone); the miners no class
 * lists form the pool (zone ''), shared by the ASIC classes without a list: their floors add
 * up, held at the rank of the first of them.
 */
export interface ClassZones {
  /** Miner id → its class's zone. */
  readonly of: ReadonlyMap<string, string>;
  /** Floors in rank order. */
  readonly floors: readonly ZoneFloor[];
  /** Zone → maximum (W). */
  readonly maxW: Readonly<Record<string, number>>;
}

export function classZones(list: readonly PriorityClass[]): ClassZones {
  const asic = list.filter((c) => c.kind === 'asic');
  const of = new Map<string, string>();
  for (const c of asic) for (const id of c.miners ?? []) if (!of.has(id)) of.set(id, c.name);
  const floors: ZoneFloor[] = [];
  const pool = asic.filter((c) => !c.miners);
  const poolFloorW = pool.reduce((sum, c) => sum + (c.minKw ?? 0) * 1000, 0);
  let poolPlaced = false;
  for (const c of asic) {
    if (c.miners && c.minKw) floors.push({ zone: c.name, minW: c.minKw * 1000 });
    if (!c.miners && c.minKw && !poolPlaced) {
      floors.push({ zone: '', minW: poolFloorW });
      poolPlaced = true;
    }
  }
  const maxW: Record<string, number> = {};
  for (const c of asic) if (c.miners && c.maxKw !== undefined) maxW[c.name] = c.maxKw * 1000;
  if (pool.length && pool.every((c) => c.maxKw !== undefined)) maxW[''] = pool.reduce((sum, c) => sum + c.maxKw! * 1000, 0);
  return { of, floors, maxW };
}

/** Rank of a job class in the list (lower is more important); unknown classes rank last. */
export function classRank(list: readonly PriorityClass[], name: string): number {
  const rank = list.findIndex((c) => c.name === name && c.kind === 'gpu');
  return rank < 0 ? list.length : rank;
}

import type { DeviceState, SiteState } from './site-state.js';

/** Learned draws move the plan only when they have moved this much since it last took them. */
const BIAS_REPLAN = 0.01;
/**
 * The plan takes a learned draw rounded to this grid (within ±0.25 %, well inside the 1 %
 * above): miners with the same table (model and voltage bin) whose draws round alike then
 * share a planned table, and the planner moves them as one group (planner/group-tables.ts).
 * Unrounded, every miner was a group of its own; in a large fleet most now share one, and
 * the planner has fewer hull steps to sort and walk.
 */
const BIAS_GRID = 0.005;
/**
 * Per device of the site, the least time between two takes. Taking a new draw rebuilds the
 * miner planner, whose cost grows with the fleet (~1 s at 100,000 miners); a fleet that large
 * moves some miner's learned draw by 1 % every few seconds, so taking each at once kept the
 * planner rebuilding. At 2,000 devices this is 0.6 s (under a control tick: no change); at
 * 100,000, 30 s. Only how good the plan is waits: the cap's accounting counts every miner at
 * its learned draw at once (device-draws.ts `estimateW`).
 */
const TAKE_GAP_MS_PER_DEVICE = 0.3;

/** The miner's learned draw has moved from the one the plan takes (by `BIAS_REPLAN` or more). */
export function movedFromPlan(d: DeviceState): boolean {
  return Math.abs(d.bias - d.plannedBias) >= BIAS_REPLAN;
}

/** When the plan may next take learned draws (undefined: none to take). */
export function drawsDueAt(state: SiteState): number | undefined {
  if (state.drawsToTake.size === 0) return undefined;
  return state.drawsTakenAt + TAKE_GAP_MS_PER_DEVICE * state.deviceList.length;
}

/**
 * Reducer, at the start of a step: the plan takes the learned draws that have moved, when
 * their time has come (`drawsDueAt`). Returns true when the planner is to be rebuilt.
 */
export function takeLearnedDraws(state: SiteState, now: number): boolean {
  const due = drawsDueAt(state);
  if (due === undefined || now < due) return false;
  let moved = false;
  for (const d of state.drawsToTake) {
    if (!movedFromPlan(d)) continue;
    d.plannedBias = Math.round(d.bias / BIAS_GRID) * BIAS_GRID;
    state.touched.add(d);
    moved = true;
  }
  state.drawsToTake.clear();
  state.drawsTakenAt = now;
  if (moved) state.fleetVersion++;
  return moved;
}

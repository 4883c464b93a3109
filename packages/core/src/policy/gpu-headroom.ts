import type { Snapshot } from '../snapshot/snapshot.js';
import type { SiteState } from '../state/site-state.js';
import type { Policy } from './policy.js';

/**
 * Head-room held for GPU jobs to come: power the miners are not planned into although no job
 * holds it yet, so that a job arriving within it starts at once (no shed to wait for) and the
 * miners do not follow every job up and down (fewer profile transitions). The cap is never
 * involved: held power only lowers the miners' budget; the worst-case accounting, break
 * before make and every admission rule are unchanged.
 *
 * - `off` (default): none — the miners get everything the GPUs' reservations leave.
 * - `learned`: the GPUs are planned at the `quantile` of their recent reservations instead
 *   of their reservations now, when that is higher. History: the peak GPU budget of each
 *   minute over `windowMs`; with the default quantile 1, what the arrivals of the last half
 *   hour needed at their busiest. Held power is at most `maxFraction` of the IT budget and
 *   never more than the idle GPUs could take.
 * - `static`: every GPU's full power is always held (the static-reserve baseline).
 */
export interface HeadroomPolicy {
  readonly mode: 'off' | 'learned' | 'static';
  readonly windowMs: number;
  readonly quantile: number;
  readonly maxFraction: number;
}

export const DEFAULT_HEADROOM: HeadroomPolicy = { mode: 'off', windowMs: 30 * 60_000, quantile: 1, maxFraction: 0.01 };

const BUCKET_MS = 60_000;

/** Per site state: the peak GPU budget of each minute (oldest first). Memory of the forecast, like the planner memo a cache beside the state. */
interface History {
  readonly minute: number[];
  readonly peakW: number[];
}

const histories = new WeakMap<SiteState, History>();

/** Remember the GPUs' budget at `now` (the minute's peak) and drop what is older than the window. */
function observe(state: SiteState, now: number, gpuBudgetW: number, windowMs: number): History {
  let h = histories.get(state);
  if (!h) {
    h = { minute: [], peakW: [] };
    histories.set(state, h);
  }
  const m = Math.floor(now / BUCKET_MS);
  const last = h.minute.length - 1;
  if (last >= 0 && h.minute[last] === m) h.peakW[last] = Math.max(h.peakW[last]!, gpuBudgetW);
  else if (last < 0 || h.minute[last]! < m) {
    h.minute.push(m);
    h.peakW.push(gpuBudgetW);
  }
  const oldest = m - Math.ceil(windowMs / BUCKET_MS);
  let drop = 0;
  while (drop < h.minute.length && h.minute[drop]! <= oldest) drop++;
  if (drop) {
    h.minute.splice(0, drop);
    h.peakW.splice(0, drop);
  }
  return h;
}

/**
 * W the miners leave free beyond the GPUs' budget this step (`gpuBudgetW`: the GPUs as the
 * plan counts them, this step's admissions included).
 */
export function gpuHeadroomW(snap: Snapshot, state: SiteState, policy: Policy, gpuBudgetW: number): number {
  const hp = policy.headroom;
  if (hp.mode === 'off') return 0;
  let allMaxW = 0;
  for (const d of state.deviceList) if (d.inv.kind === 'gpu') allMaxW += d.inv.maxLimitW;
  const roomW = Math.max(0, allMaxW - gpuBudgetW);
  if (hp.mode === 'static') return roomW;
  const h = observe(state, snap.now, gpuBudgetW, hp.windowMs);
  const sorted = [...h.peakW].sort((a, b) => a - b);
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil(hp.quantile * sorted.length) - 1));
  const forecastW = sorted[k] ?? gpuBudgetW;
  return Math.max(0, Math.min(forecastW - gpuBudgetW, roomW, hp.maxFraction * snap.budget.itBudgetW));
}

import type { Snapshot } from '../snapshot/snapshot.js';
import type { SiteState } from '../state/site-state.js';
import type { Policy } from './policy.js';

/**
 * The planner plans the miners on learned draws (each table × its planned bias, which moves
 * only in 1 % steps); the worst-case accounting that gates every raise counts a settled miner
 * at what it reads. When the miners read above the planner's estimates, a plan that fills the
 * budget on the planner's figures does not fit on the worst case's: raises — a waiting GPU
 * job's among them — are held for want of a shed the planner sees no reason to make (with a
 * small hysteresis a job waited minutes in a backtest). With `alignEstimates` on, the miners'
 * budget is lowered by that gap: settled miners' readings less their estimates, when
 * positive, as the highest of each minute over the last `GAP_WINDOW_MS` (readings carry
 * noise; a budget that followed every reading would move miners every step). Off by default
 * (today's behaviour, where the hysteresis band absorbs the gap).
 */
const GAP_WINDOW_MS = 10 * 60_000;
const BUCKET_MS = 60_000;

const memory = new WeakMap<SiteState, { minute: number[]; gapW: number[] }>();

export function estimateGapW(snap: Snapshot, state: SiteState, policy: Policy): number {
  if (!policy.alignEstimates) return 0;
  const gapW = Math.max(0, snap.settledMinerW - snap.settledEstimateW);
  let m = memory.get(state);
  if (!m) {
    m = { minute: [], gapW: [] };
    memory.set(state, m);
  }
  const k = Math.floor(snap.now / BUCKET_MS);
  const last = m.minute.length - 1;
  if (last >= 0 && m.minute[last] === k) m.gapW[last] = Math.max(m.gapW[last]!, gapW);
  else if (last < 0 || m.minute[last]! < k) {
    m.minute.push(k);
    m.gapW.push(gapW);
  }
  while (m.minute.length && m.minute[0]! <= k - GAP_WINDOW_MS / BUCKET_MS) {
    m.minute.shift();
    m.gapW.shift();
  }
  return Math.max(...m.gapW);
}

import type { BacktestPolicy, PriorityClass } from '@wattbroker/contracts';
import { DEFAULT_PRIORITIES } from '@wattbroker/core';
import type { SimSite } from './site.js';
import type { PolicyInit, Variant } from './sim-options.js';

/**
 * The policies one backtest runs side by side: wattbroker as the policy file sets it, and
 * two baselines on the same core, site and trace:
 * - **on/off curtailment** (what the usual fleet tools do): every miner at stock or asleep,
 *   the least efficient slept first — the miners register only `sleep` and `default`, so the
 *   planner's hull walk sleeps the lowest TH/W first; no learned head-room, no preemption;
 * - **static reserve**: the GPUs' full power is always held back from the miners (the
 *   head-room hook in `static` mode), whatever runs.
 */
/** The backtest's default priority list: the core's, with batch work preemptible (when preemption is on). */
export function backtestPriorities(p: BacktestPolicy): readonly PriorityClass[] {
  if (p.priorities) return p.priorities;
  if (p.preemption === false) return DEFAULT_PRIORITIES;
  return DEFAULT_PRIORITIES.map((c) => (c.name === 'batch' ? { ...c, preemptible: true } : c));
}

export function variants(site: SimSite, p: BacktestPolicy): Variant[] {
  const core = corePolicy(site, p);
  const priorities = backtestPriorities(p);
  const main: Variant = { key: 'wattbroker', label: p.name ?? 'wattbroker', policy: core, priorities, onOff: false, tickMs: p.tickMs };
  if (!p.baselines) return [main];
  // The baselines differ from wattbroker only in how power goes to the miners; the GPU side
  // (priorities, preemption of preemptible work) is the same, so the comparison is the miners'.
  // Neither baseline spends the margin on GPU draws (the GPU draw credit is wattbroker's).
  const plain = { ...core, headroom: { mode: 'off' as const }, gpuDraw: { mode: 'off' as const }, moves: { mode: 'optimal' as const } };
  return [
    main,
    { key: 'onoff', label: 'on/off curtailment', policy: plain, priorities, onOff: true, tickMs: p.tickMs },
    { key: 'static-reserve', label: 'static reserve', policy: { ...plain, headroom: { mode: 'static' as const } }, priorities, onOff: false, tickMs: p.tickMs },
  ];
}

/** The core's Policy from the policy file, with the backtest's defaults (the scheduler's and the demo's). */
export function corePolicy(site: SimSite, p: BacktestPolicy): PolicyInit {
  const speed = site.physics.speed;
  return {
    // None by default: with aligned estimates the plan fills exactly what the worst case counts
    // (the scheduler's default is 0.5 % of the cap; policy-live-defaults.json sets it).
    hysteresisW: p.hysteresisKw !== undefined ? p.hysteresisKw * 1000 : (p.alignEstimates ?? true) ? 0 : site.capW * 0.005,
    // The demo passes --min-dwell-s 10/speed (at least 0.5 s).
    minDwellMs: (p.minDwellS ?? Math.max(0.5, 10 / speed)) * 1000,
    ...(p.maxWakesPerStep !== undefined ? { maxWakesPerStep: p.maxWakesPerStep } : {}),
    ...(p.silentAfterS !== undefined ? { silentAfterMs: p.silentAfterS * 1000 } : {}),
    ...(p.preShedS !== undefined ? { preShedMs: p.preShedS * 1000 } : {}),
    ...(p.priceStrikeIntervals !== undefined ? { priceStrikeIntervals: p.priceStrikeIntervals } : {}),
    ...(p.priceDeadband !== undefined ? { priceDeadband: p.priceDeadband } : {}),
    ...(p.maxReservations !== undefined ? { maxReservations: p.maxReservations } : {}),
    // The backtest's defaults turn the control-quality hooks on (the core's defaults keep them off).
    preemption: p.preemption ?? true,
    alignEstimates: p.alignEstimates ?? true,
    // No learned head-room by default: with the GPU draw credit's job starts into the margin and
    // the fewest-moves follower, jobs start at once and the miners do not follow every job
    // without it (docs/backtest.md, "Meeting all four targets").
    headroom: {
      mode: p.headroom?.mode ?? 'off',
      ...(p.headroom?.windowS !== undefined ? { windowMs: p.headroom.windowS * 1000 } : {}),
      ...(p.headroom?.quantile !== undefined ? { quantile: p.headroom.quantile } : {}),
      ...(p.headroom?.maxPct !== undefined ? { maxFraction: p.headroom.maxPct / 100 } : {}),
    },
    gpuDraw: {
      mode: p.gpuDraw?.mode ?? 'mean',
      ...(p.gpuDraw?.windowS !== undefined ? { windowMs: p.gpuDraw.windowS * 1000 } : {}),
      ...(p.gpuDraw?.marginPct !== undefined ? { marginShare: p.gpuDraw.marginPct / 100 } : {}),
      startsInMargin: p.gpuDraw?.startsInMargin ?? true,
    },
    moves: {
      mode: p.moves?.mode ?? 'fewest',
      ...(p.moves?.deadbandPct !== undefined ? { deadbandFraction: p.moves.deadbandPct / 100 } : {}),
      ...(p.moves?.driftPct !== undefined ? { driftFraction: p.moves.driftPct / 100 } : {}),
      ...(p.moves?.maxRaises !== undefined ? { maxRaises: p.moves.maxRaises } : {}),
      ...(p.moves?.wholePct !== undefined ? { wholeFraction: p.moves.wholePct / 100 } : {}),
    },
  };
}

import { z } from 'zod';
import { PrioritiesBodySchema } from './rest.js';

/**
 * How the site is run in a backtest (`wattbroker backtest --policy FILE`): the settings of
 * the control core's `Policy` (packages/core/src/policy/policy.ts) and the priority list,
 * in operators' units (kW, s). Unset fields take the defaults the backtest documents
 * (docs/backtest.md); strict, so a misspelt key is an error naming it.
 */
export const HeadroomSettingsSchema = z.strictObject({
  /**
   * `off`: the miners get everything the GPUs' reservations leave (today's behaviour).
   * `learned`: GPU reservations are forecast from their recent history and the miners are
   * planned as if the GPUs held that much (packages/core/src/policy/gpu-headroom.ts).
   * `static`: the GPUs' full power is always held back (a baseline).
   */
  mode: z.enum(['off', 'learned', 'static']).optional(),
  /** History the forecast looks back over, s. */
  windowS: z.number().finite().positive().max(86_400).optional(),
  /** Quantile of the GPUs' reservations over the window that is held (0–1). */
  quantile: z.number().finite().min(0).max(1).optional(),
  /** At most this share of the IT budget is held back, %. */
  maxPct: z.number().finite().min(0).max(100).optional(),
});

export const GpuDrawSettingsSchema = z.strictObject({
  /**
   * `off`: GPUs are budgeted at their power limits (rule 3, today's behaviour).
   * `peak` / `mean`: a settled GPU is budgeted at the peak / mean of its readings over the
   * window, and the difference to its limit goes to the miners, as far as it fits in the
   * safety margin (packages/core/src/policy/gpu-draw-credit.ts).
   */
  mode: z.enum(['off', 'peak', 'mean']).optional(),
  /** Readings a GPU's budget is taken from, s (whole minutes in the backtest: it steps on every minute). */
  windowS: z.number().finite().positive().max(3600).optional(),
  /** Share of the safety margin the credit may spend, %. */
  marginPct: z.number().finite().min(0).max(100).optional(),
  /** GPU jobs may start into what is left of that share of the margin, the miners shedding after. */
  startsInMargin: z.boolean().optional(),
});

export const MovesSettingsSchema = z.strictObject({
  /**
   * `optimal`: the miners take the planner's answer for every budget (today's behaviour).
   * `fewest`: budget changes are met by moving as few miners as possible from where they
   * are heading (packages/core/src/policy/fewest-moves.ts).
   */
  mode: z.enum(['optimal', 'fewest']).optional(),
  /** Unused budget below which no miner is raised, % of the miners' budget. */
  deadbandPct: z.number().finite().min(0).max(10).optional(),
  /** Hashrate this far below the planner's for the same power (checked after a move) takes the planner's answer whole, %. */
  driftPct: z.number().finite().min(0).max(50).optional(),
  /** Raising moves per control step. */
  maxRaises: z.number().int().min(1).max(1000).optional(),
  /** A budget change larger than this (% of the budget; a grid event, a new contract) takes the planner's answer whole. */
  wholePct: z.number().finite().min(0).max(100).optional(),
});

export const BacktestPolicySchema = z.strictObject({
  name: z.string().min(1).max(64).optional(),
  priorities: PrioritiesBodySchema.optional(),
  /** Planning head-room against meter noise (the scheduler's default: 0.5 % of the cap; the backtest's: 0 with aligned estimates). */
  hysteresisKw: z.number().finite().nonnegative().optional(),
  /** Minimum dwell before a miner is raised again (the demo: 10 s ÷ speed, at least 0.5 s). */
  minDwellS: z.number().finite().nonnegative().optional(),
  maxWakesPerStep: z.number().int().positive().optional(),
  silentAfterS: z.number().finite().positive().optional(),
  preShedS: z.number().finite().nonnegative().optional(),
  priceStrikeIntervals: z.number().int().positive().optional(),
  priceDeadband: z.number().finite().nonnegative().optional(),
  maxReservations: z.number().int().nonnegative().optional(),
  headroom: HeadroomSettingsSchema.optional(),
  /** Jobs of higher GPU classes take the GPUs of running jobs of `preemptible` classes, which queue again. */
  preemption: z.boolean().optional(),
  /** Plan the miners in the units the worst case counts them in (readings above the planner's estimates lower their budget). */
  alignEstimates: z.boolean().optional(),
  /** Budget settled GPUs at what they draw instead of their limits, within the safety margin. */
  gpuDraw: GpuDrawSettingsSchema.optional(),
  /** Follow budget changes with as few miner moves as possible. */
  moves: MovesSettingsSchema.optional(),
  /** The control loop's tick on the virtual clock (the scheduler: 200 ms); steps also run on every event that asks for one. */
  tickMs: z.number().int().positive().max(60_000).default(1000),
  /** Run the two baselines (on/off curtailment, static reserve) beside this policy. */
  baselines: z.boolean().default(true),
});

export type BacktestPolicy = z.infer<typeof BacktestPolicySchema>;
export type HeadroomSettings = z.infer<typeof HeadroomSettingsSchema>;
export type GpuDrawSettings = z.infer<typeof GpuDrawSettingsSchema>;
export type MovesSettings = z.infer<typeof MovesSettingsSchema>;

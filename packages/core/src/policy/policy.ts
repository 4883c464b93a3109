import type { PriorityClass } from '@wattbroker/contracts';
import { DEFAULT_GPU_DRAW, type GpuDrawPolicy } from './gpu-draw-credit.js';
import { DEFAULT_HEADROOM, type HeadroomPolicy } from './gpu-headroom.js';
import { DEFAULT_MOVES, type MovesPolicy } from './fewest-moves.js';

/**
 * How the site is run: the settings of the control step that do not change while it runs
 * (operators' runtime settings such as the contract and the priority list live in the state).
 */
export interface Policy {
  /** Planning head-room kept below the budget so that meter noise does not flap miners (W). */
  readonly hysteresisW: number;
  /** A miner is not raised again within this long of its last change. */
  readonly minDwellMs: number;
  /** Wakes from sleep per step (inrush, hashboard wear). */
  readonly maxWakesPerStep: number;
  /** A host with no telemetry for this long is silent: its devices count at their maximum. */
  readonly silentAfterMs: number;
  /** A grid cap known in advance is in force this long before its start (time to shed). */
  readonly preShedMs: number;
  /** Price intervals a new energy price must hold beyond the dead band before it is used. */
  readonly priceStrikeIntervals: number;
  readonly priceDeadband: number;
  readonly reconcile: ReconcilePolicy;
  /** Blocked jobs that get a reservation (backfill never delays them); the rest wait their turn. */
  readonly maxReservations: number;
  /** A site meter reading older than this is not used (the model alone then). */
  readonly meterFreshMs: number;
  /** Prefix of command ids (unique per scheduler process; the shell sets it). */
  readonly commandIdPrefix: string;
  /** Power held back from the miners for GPU jobs to come (policy/gpu-headroom.ts). Default off: today's behaviour. */
  readonly headroom: HeadroomPolicy;
  /** Waiting jobs may take the GPUs of running jobs of lower `preemptible` classes (admission/preemption.ts). Default off. */
  readonly preemption: boolean;
  /** Plan the miners into the budget less what settled miners read above the planner's estimates (policy/estimate-gap.ts). Default off. */
  readonly alignEstimates: boolean;
  /** Plan the miners into what settled GPUs leave below their limits, within the safety margin (policy/gpu-draw-credit.ts). Default off. */
  readonly gpuDraw: GpuDrawPolicy;
  /** Follow budget changes with as few miner moves as possible instead of the planner's whole answer (policy/fewest-moves.ts). Default off. */
  readonly moves: MovesPolicy;
}

/** Level-triggered reconciliation: when a device counts as off its target, and how it is re-commanded. */
export interface ReconcilePolicy {
  /** After a command is applied (or sent), a reading may still lag this long. */
  readonly graceMs: number;
  /** A device heading for its target (ramping, waking, powering down) still counts as getting there for this long. */
  readonly transitionMaxMs: number;
  /** A command the agent has not reported on within this long counts as lost. */
  readonly resultTimeoutMs: number;
  /** Re-commands back off: base, 2×base, 4×base, … up to max. The first one goes at once. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Off target after this many re-commands: disobedient (reported). */
  readonly disobedientAfter: number;
}

/** The default priority list, highest first: critical jobs, the ASIC floor, standard and batch jobs, the miners' fill. */
export const DEFAULT_PRIORITIES: readonly PriorityClass[] = [
  { name: 'critical', kind: 'gpu' },
  { name: 'asic-floor', kind: 'asic', minKw: 0 },
  { name: 'standard', kind: 'gpu' },
  { name: 'batch', kind: 'gpu' },
  { name: 'asic-fill', kind: 'asic' },
];

export const DEFAULT_POLICY: Policy = {
  hysteresisW: 0,
  minDwellMs: 10_000,
  maxWakesPerStep: 10,
  silentAfterMs: 2500,
  preShedMs: 30_000,
  priceStrikeIntervals: 3,
  priceDeadband: 0.02,
  reconcile: { graceMs: 2000, transitionMaxMs: 180_000, resultTimeoutMs: 30_000, backoffBaseMs: 2000, backoffMaxMs: 30_000, disobedientAfter: 3 },
  maxReservations: 4,
  meterFreshMs: 5000,
  commandIdPrefix: 'c',
  headroom: DEFAULT_HEADROOM,
  preemption: false,
  alignEstimates: false,
  gpuDraw: DEFAULT_GPU_DRAW,
  moves: DEFAULT_MOVES,
};

/** A policy from partial settings (nested reconcile and head-room settings merge too). */
export function makePolicy(
  p: Partial<Omit<Policy, 'reconcile' | 'headroom' | 'gpuDraw' | 'moves'>> & {
    reconcile?: Partial<ReconcilePolicy>; headroom?: Partial<HeadroomPolicy>; gpuDraw?: Partial<GpuDrawPolicy>; moves?: Partial<MovesPolicy>;
  } = {},
): Policy {
  return {
    ...DEFAULT_POLICY, ...p,
    reconcile: { ...DEFAULT_POLICY.reconcile, ...p.reconcile }, headroom: { ...DEFAULT_POLICY.headroom, ...p.headroom },
    gpuDraw: { ...DEFAULT_POLICY.gpuDraw, ...p.gpuDraw }, moves: { ...DEFAULT_POLICY.moves, ...p.moves },
  };
}

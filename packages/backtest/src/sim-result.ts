import type { GridEventRecord } from '@wattbroker/contracts';
import type { Variant } from './sim-options.js';

/** A job as the backtest saw it. */
export interface JobOutcome {
  readonly id: string;
  readonly class: string;
  readonly gpus: number;
  /** Trace seconds. */
  readonly submittedS: number;
  state: string;
  refused?: string;
  /** Epoch ms of the first time it was queued / ran, and when it ended. */
  queuedAt: number;
  runningAt?: number;
  endedAt?: number;
  preempted: number;
  /** It waited at some step because no GPU host had the GPUs free (not for power). */
  gpuBound: boolean;
  /** GPU-seconds of work delivered (runs that completed, and the one running at the end). */
  gpuSeconds: number;
}

/** Per second of the trace (index = second), the simulated truth and what the controller planned. */
export interface Series {
  readonly n: number;
  readonly limitW: Float64Array;
  readonly marginW: Float64Array;
  readonly siteW: Float64Array;
  readonly asicW: Float64Array;
  readonly gpuW: Float64Array;
  readonly hostOverheadW: Float64Array;
  readonly coolingW: Float64Array;
  readonly hashrateThs: Float64Array;
  /** Σ of the GPUs' power limits (what rule 3 budgets them at). */
  readonly gpuLimitW: Float64Array;
  readonly minerBudgetW: Float64Array;
  /** Power the plan held back from the miners for GPU jobs to come (and the estimate gap). */
  readonly heldW: Float64Array;
  /** GPU room below their limits planned into the miners out of the margin (the GPU draw credit), IT W. */
  readonly creditW: Float64Array;
  readonly pricePerMWh: Float64Array;
  readonly hashprice: Float64Array;
  readonly gpuRevenueUsd: Float64Array;
  readonly busyGpus: Float64Array;
  readonly queuedJobs: Float64Array;
}

export interface GridEventRun {
  readonly record: GridEventRecord;
  /** Trace seconds. */
  readonly announcedS: number;
  readonly startS: number;
  readonly endS: number;
}

export interface SimResult {
  readonly variant: Variant;
  readonly startEpochMs: number;
  readonly series: Series;
  readonly jobs: readonly JobOutcome[];
  /** Profile changes, sleeps and wakes the miners made during the trace (not the warm-up). */
  readonly transitions: number;
  readonly miners: number;
  readonly gpus: number;
  readonly gridEvents: readonly GridEventRun[];
  readonly stats: { steps: number; ticksSkipped: number; commands: number; wallMs: number; simulatedS: number };
}

import type { PriorityClass, Trace } from '@wattbroker/contracts';
import type { Controller, makePolicy, StepOutput } from '@wattbroker/core';
import type { SimSite } from './site.js';

/** Settings for the core's `Policy` (as `makePolicy` takes them). */
export type PolicyInit = NonNullable<Parameters<typeof makePolicy>[0]>;

/** One way of running the site: the policy under test or a baseline. */
export interface Variant {
  /** `wattbroker`, `onoff`, `static-reserve`. */
  readonly key: string;
  readonly label: string;
  readonly policy: PolicyInit;
  readonly priorities: readonly PriorityClass[];
  /** Miners register only `sleep` and `default` (whole miners on or off, as fleet tools curtail). */
  readonly onOff: boolean;
  /** The control loop's tick (ms of the trace's clock). */
  readonly tickMs: number;
}

export interface SimOptions {
  readonly site: SimSite;
  readonly trace: Trace;
  readonly variant: Variant;
  /** Simulated time before the trace starts, to settle the site (not in the KPIs). @defaultValue 300 */
  readonly warmupS?: number;
  /**
   * A steady miner's reading is sent again this often (0: never — agents send what changed,
   * and every batch is the host's heartbeat; steady miners change only by meter noise).
   * @defaultValue 0
   */
  readonly refreshS?: number;
  /**
   * Steps the live scheduler would take but that cannot change anything (no input since the
   * last step, which sent nothing and left nothing pending) are skipped; a step runs on every
   * whole minute (the head-room's history moves by the minute) and at least every this long.
   * 0 runs every tick. @defaultValue 60000
   */
  readonly maxQuietMs?: number;
  readonly onProgress?: (fraction: number) => void;
  /**
   * During the warm-up only (not in the KPIs), steps asked for within this long of the last
   * one wait and go as one. A cold controller learns every miner's draw in its first minute,
   * re-planning on each: at 100,000 miners that is a planner rebuild (~1 s) per step. @defaultValue 0
   */
  readonly warmupStepGapMs?: number;
  /**
   * How long (ms of the trace's clock) one control step takes: no step starts before the one
   * before it has ended, and what arrives meanwhile is decided by the next step, as in the
   * live scheduler (services/scheduler/src/loops/control-loop.ts: a step holds the event
   * loop, and the readings that came in during it wake one step after it). By default the
   * measured steady step, 0.33 µs per device (`pnpm bench:step`: 32.6 ms at 100,000 miners),
   * in whole ms: 0, no effect, up to about 3,000 devices. 0: steps take no time.
   */
  readonly stepMs?: number;
  /** Every step's output (tests, debugging). */
  readonly onStep?: (t: number, out: StepOutput, controller: Controller) => void;
}

/**
 * The controller's view of the world. These are plain data mirrors of the bus messages
 * (packages/contracts validates the wire form; core stays free of zod and I/O).
 */
export interface MinerOption {
  readonly name: string;
  readonly powerW: number;
  readonly hashrateThs: number;
}

export type DeviceInventoryItem =
  | { readonly id: string; readonly kind: 'asic'; readonly model: string; readonly profiles: readonly MinerOption[]; readonly sleepW: number }
  | { readonly id: string; readonly kind: 'gpu'; readonly model: string; readonly minLimitW: number; readonly maxLimitW: number; readonly idleW: number };

export interface Registration {
  readonly hostId: string;
  readonly kind: 'asic' | 'gpu';
  readonly hostOverheadW: number;
  readonly devices: readonly DeviceInventoryItem[];
}

export interface Reading {
  readonly id: string;
  readonly reachable: boolean;
  readonly powerW: number;
  readonly hashrateThs?: number;
  readonly profile?: string;
  readonly sleeping?: boolean;
  readonly ramping?: boolean;
  readonly powerLimitW?: number;
  readonly jobId?: string | null;
}

export interface TelemetryIn {
  readonly hostId: string;
  readonly sentAt: number;
  readonly hostOverheadW: number;
  readonly devices: readonly Reading[];
}

export type Desired =
  | { readonly kind: 'asic'; readonly profile: string }
  | { readonly kind: 'gpu'; readonly powerLimitW: number; readonly job: JobSpec | null };

export interface JobSpec {
  readonly id: string;
  readonly durationS?: number;
  readonly workload?: { readonly url: string; readonly method: 'POST' | 'GET'; readonly body?: unknown; readonly timeoutS: number };
}

export type JobState = 'queued' | 'admitting' | 'running' | 'done' | 'failed' | 'cancelled';

export interface Job {
  readonly id: string;
  readonly class: string;
  readonly gpus: number;
  /** Per-GPU limit; undefined = the GPU's max limit. */
  readonly powerLimitW?: number;
  readonly durationS?: number;
  readonly workload?: JobSpec['workload'];
  state: JobState;
  /** Host and GPUs once admission starts. */
  hostId?: string;
  gpuIds?: string[];
  /** Per-GPU limit chosen at admission. */
  limitW?: number;
  error?: string;
  /** When each state was entered (epoch ms). */
  readonly timestamps: Partial<Record<JobState, number>>;
}

export interface GridCap {
  readonly id: string;
  readonly capW: number;
  readonly startsAt: number;
  readonly endsAt: number;
  /** Step down gradually over this long before the event (ahead of the pre-shed lead). */
  readonly rampMs?: number;
  readonly program?: string;
  readonly mandatory?: boolean;
  /** For shed events: what was asked, and the baseline it was taken from. */
  readonly shedW?: number;
  readonly baselineW?: number;
  /** Where the event came from (rest, schedule, openadr). */
  readonly source?: string;
}

/** One ledger sample: what the site drew and what it was allowed. */
export interface SiteSample {
  readonly at: number;
  readonly effectiveCapW: number;
  readonly contractCapW: number;
  readonly marginW: number;
  /** Measured IT + modelled cooling. */
  readonly siteW: number;
  readonly asicW: number;
  readonly gpuW: number;
  /** Cooling model + host chassis overhead. */
  readonly overheadW: number;
  /** Site power if every device in transition drew its worst case. */
  readonly worstCaseSiteW: number;
  readonly hashrateThs: number;
  readonly silentHosts: readonly string[];
  readonly jobs: { readonly queued: number; readonly admitting: number; readonly running: number };
}

export interface OutgoingCommand {
  readonly hostId: string;
  readonly devices: Readonly<Record<string, Desired>>;
}

export interface JobTransition {
  readonly job: Job;
  readonly from: JobState;
  readonly to: JobState;
  readonly at: number;
}

/** What one controller step decided. */
export interface StepOutput {
  readonly commands: readonly OutgoingCommand[];
  readonly jobTransitions: readonly JobTransition[];
}

/** One class of the operators' priority list (highest first). */
export interface PriorityClassSpec {
  readonly name: string;
  readonly kind: 'gpu' | 'asic';
  readonly minKw?: number;
  readonly maxKw?: number;
  readonly preemptible?: boolean;
  /**
   * ASIC classes only: the miners of this class (e.g. a hosting client's machines); its
   * minKw/maxKw then bound their draw alone. Classes without a list share the miners that
   * no class lists (the pool), as fleet-wide floors and fills.
   */
  readonly miners?: readonly string[];
}

/** Operator overrides on one miner. */
export interface DeviceOverride {
  /** The miner keeps this profile whatever the budget. */
  readonly pinnedProfile?: string;
  /** Excluded from control, budgeted at its measured draw. */
  readonly maintenance?: boolean;
}

export interface ClassExplanation {
  readonly name: string;
  readonly kind: 'gpu' | 'asic';
  readonly rank: number;
  readonly kw: number;
  readonly minKw: number | null;
  readonly maxKw: number | null;
  readonly waitingJobs: number;
  readonly why: string;
}

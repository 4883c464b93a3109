import type {
  AuditEntry, AuditView, AgentCommand, AgentMessage, ArmCommand, FallbackCommand, ContractRecord, DeviceOverride, EnergyPriceRecord, GridEventRecord, JobRecord, JobState,
  PriorityClass, Registration, SiteSample, TelemetryBatch,
} from '@wattbroker/contracts';

/**
 * What the scheduler needs from the outside world, as interfaces: the composition root
 * (app.ts) plugs in Redis and BullMQ; a test can plug in a virtual clock. Nothing behind
 * these ports decides anything.
 */
export interface Clock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/** The site's durable state (Redis): every record is parsed with its schema on the way back. */
export interface SiteStore {
  saveJobs(jobs: readonly JobRecord[], audit?: AuditEntry): Promise<void>;
  job(id: string): Promise<JobRecord | undefined>;
  activeJobs(): Promise<JobRecord[]>;
  /** Newest first, filtered before the limit; `before` is a cursor (the queue time of the last one seen). */
  jobs(q: { limit: number; state?: JobState; after?: { score: number; id: string }; live?: (j: JobRecord) => JobRecord; owner?: string }): Promise<JobRecord[]>;
  contract(): Promise<ContractRecord | undefined>;
  saveContract(c: ContractRecord, audit?: AuditEntry): Promise<void>;
  gridEvents(): Promise<GridEventRecord[]>;
  saveGridEvent(e: GridEventRecord, audit?: AuditEntry): Promise<void>;
  deleteGridEvent(id: string, audit?: AuditEntry): Promise<boolean>;
  energyPrice(): Promise<EnergyPriceRecord | undefined>;
  saveEnergyPrice(p: EnergyPriceRecord, audit?: AuditEntry): Promise<void>;
  hashprice(): Promise<number | undefined>;
  saveHashprice(v: number, audit?: AuditEntry): Promise<void>;
  priorities(): Promise<PriorityClass[] | undefined>;
  savePriorities(list: readonly PriorityClass[], audit?: AuditEntry): Promise<void>;
  overrides(): Promise<Map<string, DeviceOverride>>;
  saveOverride(id: string, o: DeviceOverride, audit?: AuditEntry): Promise<void>;
  registrations(): Promise<Registration[]>;
  saveRegistration(r: Registration): Promise<void>;
  appendSample(s: SiteSample): Promise<void>;
  samples(from: number, to: number): Promise<SiteSample[]>;
  reported(key: string): Promise<boolean>;
  markReported(key: string): Promise<void>;
  /** The audit trail, newest first; `before` = the id of the last entry seen. */
  audit(q: { limit: number; before?: string }): Promise<AuditView[]>;
  ping(): Promise<boolean>;
}

/** Where commands go: one queue per host. Resolves when the queue holds the command. */
export interface CommandSink {
  send(cmd: AgentCommand): Promise<void>;
  arm(cmd: ArmCommand): Promise<void>;
  fallback(cmd: FallbackCommand): Promise<void>;
  close(): Promise<void>;
}

/** What agents report: telemetry batches, and registrations, results and job ends. */
/** Agent messages the inbox refused: a body naming another host than its sender's key, or failing its schema. */
export interface InboxCounters {
  foreignHost: number;
  invalid: number;
}

export interface AgentInbox {
  readonly counters: InboxCounters;
  start(handlers: { telemetry(batch: TelemetryBatch): void; message(msg: AgentMessage): Promise<void> }): void;
  stop(): Promise<void>;
}

/** Leadership: who may command the site, and with which epoch. */
export interface Leadership {
  readonly epoch: number;
  /** Leading, and (locally) still within the lease. */
  isLeading(): boolean;
  /** Renew or acquire; returns whether this process leads. */
  tick(): Promise<boolean>;
  /** Someone holds a higher epoch: stop leading now; lead again only above it. */
  stepDown(aboveEpoch: number): Promise<void>;
  release(): Promise<void>;
  /** Who leads (any process), for a standby to name it. */
  current(): Promise<{ owner: string; epoch: number; apiUrl?: string; pid?: number } | undefined>;
}

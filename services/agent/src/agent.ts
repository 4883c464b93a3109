import { EventEmitter } from 'node:events';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { appendToStream, openRedis } from '@wattbroker/bus';
import {
  AgentCommandSchema, AgentMessageSchema, ArmCommandSchema, BULL_PREFIX, FallbackCommandSchema, KEYS, agentArmedKey, agentEpochKey, agentFallbackKey,
  commandQueue, fieldPath, resultsStream, telemetryStream,
  type AgentMessage, type ArmCommand, type DeviceReading, type DeviceResult, type HostConfig, type TelemetryBatch,
} from '@wattbroker/contracts';
import { SLEEP_W } from './asic-host.js';
import { FallbackGuard } from './fallback.js';
import type { HostDevices } from './host-devices.js';

export interface AgentOptions {
  readonly config: HostConfig;
  readonly redisUrl: string;
  readonly devices: HostDevices;
  readonly logger: Logger;
  /** @defaultValue 1000 */
  readonly telemetryIntervalMs?: number;
  /** Re-registration (inventory) interval. @defaultValue 30000 */
  readonly registerIntervalMs?: number;
}

/**
 * What an agent did, as typed events: logs and tests listen to the same ones (tests await the
 * next event instead of sleeping). Each is emitted once the thing it names is done.
 */
export interface AgentEvents {
  /** A pre-armed grid shed is held, with its timer set to wake in `nextWakeInMs` (at the
   *  event's start, or, for an event further ahead than a timer can wait, to re-arm then). */
  'armed': [{ eventId: string; startsAt: number; endsAt: number; devices: readonly string[]; nextWakeInMs: number }];
  /** A pre-armed shed was dropped unfired (its event was deleted or is over). */
  'disarmed': [{ eventId: string }];
  /** A pre-armed shed fired at `at` (≥ its start): `devices` are those in its plan, `applied`
   *  those whose part holds (lowered, or left alone where the plan would have raised them). */
  'shed': [{ eventId: string; at: number; devices: readonly string[]; applied: readonly string[] }];
  /** A command was applied (or ignored as stale) and its result sent. */
  'command': [{ commandId: string; epoch: number; devices: Readonly<Record<string, DeviceResult>>; stale: boolean }];
  /** A telemetry batch was published: its sequence number and the devices it read. */
  'telemetry': [{ seq: number; devices: readonly string[] }];
  /** No leader was heard for the fallback period: the fallback was applied (lowering only). */
  'fallback': [{ devices: readonly string[] }];
}

/**
 * The bus side of an agent: a BullMQ worker on `agent-<hostId>` applies desired-state
 * commands in order, fenced by the leader's epoch (believed only up to the site's epoch,
 * which leaders alone write); results, registrations and job ends go on this host's results
 * stream, telemetry batches (also the heartbeat) on its telemetry stream. Its Redis user
 * may touch no other host's keys (see `wattbroker acl generate`).
 * The agent never changes a device on its own: without commands, the last state stands.
 */
export class Agent extends EventEmitter<AgentEvents> {
  private redis!: Redis;
  private workerRedis!: Redis;
  private worker!: Worker;
  private timers: NodeJS.Timeout[] = [];
  private seq = 0;
  private epoch = 0;
  private reading = false;
  /** Devices to read in the next telemetry round ('all' for a full round). */
  private pendingRead: Set<string> | 'all' | undefined;
  /** Devices written recently and not settled yet (ramping, powering down), watched until when. */
  private readonly settling = new Map<string, number>();
  private readonly hostId: string;
  private readonly epochKey: string;
  private readonly armedKey: string;
  /** Per device, the newest command that spoke for it: (epoch, issuedAt, receipt order). */
  private readonly newest = new Map<string, readonly [number, number, number]>();
  private received = 0;
  /** Per device, the last command whose write (or no-op) went through: readings carry it. */
  private readonly applied = new Map<string, string>();
  /** Pre-armed grid sheds by event id, with their timers. */
  private readonly armed = new Map<string, { cmd: ArmCommand; timer: NodeJS.Timeout }>();
  private readonly fallback: FallbackGuard;
  private readonly fallbackKey: string;

  constructor(private readonly opts: AgentOptions) {
    super();
    this.hostId = opts.config.hostId;
    this.epochKey = agentEpochKey(this.hostId);
    this.armedKey = agentArmedKey(this.hostId);
    this.fallbackKey = agentFallbackKey(this.hostId);
    this.fallback = new FallbackGuard({
      devices: opts.devices, log: opts.logger,
      onApplied: (results) => {
        this.watchSettling(results);
        this.publishTelemetry(Object.keys(results));
        this.emit('fallback', { devices: Object.keys(results) });
      },
    });
  }

  async start(): Promise<void> {
    const { logger } = this.opts;
    this.redis = openRedis(this.opts.redisUrl);
    this.workerRedis = openRedis(this.opts.redisUrl);
    this.epoch = Number((await this.redis.get(this.epochKey)) ?? 0);
    this.opts.devices.onJobEnd?.((jobId, ok, error) => {
      void this.send({ type: 'job', hostId: this.hostId, jobId, state: ok ? 'done' : 'failed', ...(error ? { error } : {}), sentAt: Date.now() });
    });
    await this.register();
    // Sheds armed before a restart still fire, and the fallback still stands.
    for (const raw of Object.values(await this.redis.hgetall(this.armedKey))) {
      const cmd = ArmCommandSchema.safeParse(JSON.parse(raw));
      if (cmd.success) this.arm(cmd.data);
    }
    const stored = await this.redis.get(this.fallbackKey);
    try {
      if (stored) this.fallback.set(parseMessage(FallbackCommandSchema, JSON.parse(stored), 'stored fallback'));
    } catch (e) {
      // Unreadable: the leader's next re-send (every few seconds) replaces it.
      logger.warn({ err: (e as Error).message }, 'stored fallback ignored');
    }
    this.worker = new Worker(commandQueue(this.hostId), (job) => this.handle(job), {
      // Hosts that order writes per device take commands as they come (a shed never queues
      // behind a slow raise; the scheduler may send one a tick while miners are slow to
      // answer, and superseded writes are skipped, so the backlog stays short); the others
      // apply one command at a time. Device I/O is bounded by the host's own limit.
      connection: this.workerRedis, prefix: BULL_PREFIX, concurrency: this.opts.devices.concurrentCommands ? 256 : 1,
      // Commands a crashed agent had taken come back within seconds, not BullMQ's 30.
      lockDuration: 10_000, stalledInterval: 5_000,
    });
    this.worker.on('failed', (job, err) => logger.warn({ jobId: job?.id, err: err.message }, 'command rejected'));
    this.worker.on('error', (err) => logger.error({ err: err.message }, 'worker error'));
    this.timers.push(setInterval(() => this.publishTelemetry(), this.opts.telemetryIntervalMs ?? 1000));
    // Written devices are read again every half second until they settle, so confirmations
    // (and the admissions waiting on them) do not wait for the next full round.
    this.timers.push(setInterval(() => {
      const now = Date.now();
      for (const [id, until] of this.settling) if (until < now) this.settling.delete(id);
      if (this.settling.size) this.publishTelemetry([...this.settling.keys()]);
    }, SETTLE_READ_MS));
    this.timers.push(setInterval(() => void this.register(), this.opts.registerIntervalMs ?? 30_000));
    this.timers.push(setInterval(() => void this.fallback.tick(), 1000));
    this.publishTelemetry();
    logger.info({ hostId: this.hostId, kind: this.opts.config.kind, epoch: this.epoch }, 'agent started');
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const a of this.armed.values()) clearTimeout(a.timer);
    await this.worker?.close();
    await this.opts.devices.close();
    this.redis?.disconnect();
    this.workerRedis?.disconnect();
  }

  private async register(): Promise<void> {
    try {
      const devices = await this.opts.devices.inventory();
      await this.send({
        type: 'register', hostId: this.hostId, kind: this.opts.config.kind,
        hostOverheadW: this.opts.config.hostOverheadW, devices, sentAt: Date.now(),
      });
    } catch (e) {
      this.opts.logger.warn({ err: (e as Error).message }, 'registration failed; will retry');
    }
  }

  /**
   * Ask for a telemetry round: of every device (the interval), or of some (the read-back
   * after a command: what changed is confirmed without polling the whole host). Rounds never
   * overlap, so a reading taken before a change is never published after one taken after it:
   * requests made while a round is in flight are merged into the next round.
   */
  private publishTelemetry(ids?: readonly string[]): void {
    if (!ids) this.pendingRead = 'all';
    else if (this.pendingRead !== 'all') {
      this.pendingRead ??= new Set();
      for (const id of ids) this.pendingRead.add(id);
    }
    if (!this.reading) void this.readRounds();
  }

  private async readRounds(): Promise<void> {
    this.reading = true;
    while (this.pendingRead) {
      const want = this.pendingRead;
      this.pendingRead = undefined;
      try {
        // Tagged with what had been applied when the round started: a reading taken before a
        // write never claims to show it.
        const tags = new Map(this.applied);
        const readings = await this.opts.devices.read(want === 'all' ? undefined : [...want]);
        const batch: TelemetryBatch = {
          hostId: this.hostId, seq: this.seq++, sentAt: Date.now(), epoch: this.epoch, hostOverheadW: this.opts.config.hostOverheadW,
          ...(this.fallback.active ? { fallback: true } : {}),
          devices: readings.map((r) => {
            const tag = tags.get(r.id);
            return tag ? { ...r, appliedCommandId: tag } : r;
          }),
        };
        batch.sentAt = Date.now();
        for (const r of batch.devices) if (this.settling.has(r.id) && settled(r)) this.settling.delete(r.id);
        await appendToStream(this.redis, telemetryStream(this.hostId), batch, 2_000);
        this.emit('telemetry', { seq: batch.seq, devices: batch.devices.map((r) => r.id) });
      } catch (e) {
        this.opts.logger.warn({ err: (e as Error).message }, 'telemetry round failed');
      }
    }
    this.reading = false;
  }

  /** Keep a pre-armed shed and set its timer (replacing an earlier plan for the event). */
  private arm(cmd: ArmCommand): void {
    const old = this.armed.get(cmd.eventId);
    if (old) clearTimeout(old.timer);
    if (Date.now() >= cmd.endsAt) {
      this.armed.delete(cmd.eventId);
      void this.redis.hdel(this.armedKey, cmd.eventId).then(
        () => this.emit('disarmed', { eventId: cmd.eventId }),
        (e: unknown) => this.opts.logger.warn({ eventId: cmd.eventId, err: (e as Error).message }, 'could not drop a disarmed shed'),
      );
      return;
    }
    const wait = cmd.startsAt - Date.now();
    // setTimeout fires at once (with a TimeoutOverflowWarning) when asked to wait longer than
    // MAX_TIMER_MS: an event that far ahead is re-armed when that much time has passed.
    const nextWakeInMs = wait > MAX_TIMER_MS ? MAX_TIMER_MS : Math.max(0, wait);
    const timer = wait > MAX_TIMER_MS
      ? setTimeout(() => this.arm(cmd), nextWakeInMs)
      : setTimeout(() => void this.fireArmed(cmd.eventId), nextWakeInMs);
    this.armed.set(cmd.eventId, { cmd, timer });
    this.emit('armed', { eventId: cmd.eventId, startsAt: cmd.startsAt, endsAt: cmd.endsAt, devices: Object.keys(cmd.devices), nextWakeInMs });
  }

  /** At the event's start: apply the armed targets that lower power, whoever is listening. */
  private async fireArmed(eventId: string): Promise<void> {
    const a = this.armed.get(eventId);
    if (!a) return;
    // Timers run on the monotonic clock and may fire a millisecond before the wall clock's
    // start: never shed before it, wait out the rest.
    if (Date.now() < a.cmd.startsAt) return this.arm(a.cmd);
    this.armed.delete(eventId);
    const at = Date.now();
    const results = this.opts.devices.applyIfLower ? await this.opts.devices.applyIfLower(a.cmd.devices) : {};
    const applied = Object.entries(results).filter(([, r]) => r.ok).map(([id]) => id);
    this.opts.logger.warn({ eventId, devices: Object.keys(a.cmd.devices).length, applied: applied.length }, 'executed a pre-armed grid shed');
    await this.redis.hdel(this.armedKey, eventId).catch(() => undefined);
    this.watchSettling(results);
    this.publishTelemetry(Object.keys(a.cmd.devices));
    this.emit('shed', { eventId, at, devices: Object.keys(a.cmd.devices), applied });
  }

  private async handleArm(job: Job): Promise<void> {
    const cmd = parseMessage(ArmCommandSchema, job.data, 'arm command');
    if (cmd.epoch < this.epoch) return; // a stale leader's plan
    await this.checkEpoch(cmd.epoch, 'arm command');
    this.fallback.heard();
    await this.redis.hset(this.armedKey, cmd.eventId, JSON.stringify(cmd));
    this.arm(cmd);
  }

  /** The leader's fallback for this host (also its heartbeat to the agent). */
  private async handleFallback(job: Job): Promise<void> {
    const cmd = parseMessage(FallbackCommandSchema, job.data, 'fallback command');
    if (cmd.hostId !== this.hostId) throw new Error(`invalid fallback command: hostId: for ${cmd.hostId}, this is ${this.hostId}`);
    if (cmd.epoch < this.epoch) return; // a stale leader's
    await this.checkEpoch(cmd.epoch, 'fallback command');
    await this.adoptEpoch(cmd.epoch);
    this.fallback.set(cmd);
    this.fallback.heard();
    await this.redis.set(this.fallbackKey, JSON.stringify(cmd));
  }

  /**
   * A command's epoch above ours is believed only up to the site's epoch, which only leaders
   * write (this agent's Redis user may read it, not write it): a command cannot carry an
   * epoch jump in from outside, which the agent would persist and every real leader's
   * commands would then be refused below.
   */
  private async checkEpoch(epoch: number, what: string): Promise<void> {
    if (epoch <= this.epoch) return;
    const site = Number((await this.redis.get(KEYS.epoch)) ?? 0);
    if (epoch > site) throw new Error(`invalid ${what}: epoch: ${epoch} is above the site's epoch ${site} (set only by leaders)`);
  }

  private async adoptEpoch(epoch: number): Promise<void> {
    if (epoch <= this.epoch) return;
    this.epoch = epoch;
    await this.redis.set(this.epochKey, String(epoch));
  }

  private async handle(job: Job): Promise<void> {
    const receivedAt = Date.now();
    if (job.name === 'arm') return this.handleArm(job);
    if (job.name === 'fallback') return this.handleFallback(job);
    const cmd = parseMessage(AgentCommandSchema, job.data, 'command');
    if (cmd.hostId !== this.hostId) throw new Error(`invalid command: hostId: for ${cmd.hostId}, this is ${this.hostId}`);
    if (cmd.epoch < this.epoch) {
      this.opts.logger.warn({ commandId: cmd.commandId, epoch: cmd.epoch, current: this.epoch }, 'ignoring command from a stale leader');
      await this.send({ type: 'result', hostId: this.hostId, commandId: cmd.commandId, epoch: cmd.epoch, stale: true, agentEpoch: this.epoch, devices: {}, sentAt: Date.now() });
      this.emit('command', { commandId: cmd.commandId, epoch: cmd.epoch, devices: {}, stale: true });
      return;
    }
    // Claimed before any await but this rare one (only a new epoch reads the site's):
    // BullMQ hands jobs over in queue order, so receipt order is issue order, and per device
    // the newest command wins whatever finishes first.
    if (cmd.epoch > this.epoch) await this.checkEpoch(cmd.epoch, 'command');
    const mine = [cmd.epoch, cmd.issuedAt, ++this.received] as const;
    for (const id of Object.keys(cmd.devices)) {
      const had = this.newest.get(id);
      if (!had || compareTuples(mine, had) > 0) this.newest.set(id, mine);
    }
    const current = (id: string) => this.newest.get(id) === mine;
    this.fallback.heard();
    await this.adoptEpoch(cmd.epoch);
    const devices = await this.opts.devices.apply(cmd.devices, current);
    for (const [id, r] of Object.entries(devices)) if (r.ok && !r.superseded) this.applied.set(id, cmd.commandId);
    await this.send({ type: 'result', hostId: this.hostId, commandId: cmd.commandId, epoch: cmd.epoch, stale: false, devices, receivedAt, sentAt: Date.now() });
    // Read back at once rather than at the next tick: confirmations (and so admissions
    // waiting on a shed) should not wait up to a telemetry interval.
    this.watchSettling(devices);
    this.publishTelemetry(Object.keys(cmd.devices));
    this.emit('command', { commandId: cmd.commandId, epoch: cmd.epoch, devices, stale: false });
  }

  private watchSettling(results: Record<string, DeviceResult>): void {
    const until = Date.now() + SETTLE_WATCH_MS;
    for (const [id, r] of Object.entries(results)) if (r.ok && !r.superseded) this.settling.set(id, until);
  }

  private async send(msg: AgentMessage): Promise<void> {
    AgentMessageSchema.parse(msg); // what we send is what the scheduler will accept
    await appendToStream(this.redis, resultsStream(this.hostId), msg, 10_000);
  }
}

/** Read-back interval and limit for devices that were just written. */
const SETTLE_READ_MS = 500;
const SETTLE_WATCH_MS = 30_000;

/** The longest delay setTimeout honours (2³¹ − 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A reading that will not change any more on its own: not ramping, and powered down if asleep. */
function settled(r: DeviceReading): boolean {
  return r.reachable && r.ramping !== true && !(r.sleeping === true && r.powerW > SLEEP_W);
}

function compareTuples(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** A queue message parsed, or an error naming its first bad field: the job fails and nothing changes. */
function parseMessage<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!;
  throw new Error(`invalid ${what}: ${fieldPath(first.path)}: ${first.message}`);
}

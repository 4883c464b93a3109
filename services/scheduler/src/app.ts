import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openRedis } from '@wattbroker/bus';
import { KEYS, type MeterConfigInput, type Readiness } from '@wattbroker/contracts';
import { ModbusMeter } from '@wattbroker/drivers';
import { Controller, type CoolingModel, type GpuDrawPolicy, type MovesPolicy, type Policy, type ReconcilePolicy } from '@wattbroker/core';
import { RedisAgentInbox } from './bus/agent-inbox.js';
import { BullCommandSink } from './bus/command-sink.js';
import { LocalDeadlineLease } from './bus/lease.js';
import { ObserveSink } from './bus/observe-sink.js';
import type { SchedulerEvents } from './events.js';
import { GridSchedules } from './grid/schedules.js';
import { Arming } from './loops/arming.js';
import { LeadershipLoop } from './loops/leadership-loop.js';
import { MeterLoop } from './loops/meter-loop.js';
import { pruneOld } from './loops/prune.js';
import { armFallbacks } from './loops/fallback.js';
import { ControlLoop } from './loops/control-loop.js';
import { recordSample } from './loops/sample-loop.js';
import { OpenAdrVen, type VenConfig } from './openadr/ven.js';
import { systemClock, type Clock, type CommandSink } from './ports.js';
import { FencedError, RedisStore } from './store/redis-store.js';
import { AgentReports } from './use-cases/agent-reports.js';
import { GridEvents } from './use-cases/grid-events.js';
import { Jobs } from './use-cases/jobs.js';
import { takeOver } from './use-cases/take-over.js';
import { Settings } from './use-cases/settings.js';

export interface SchedulerOptions {
  readonly redisUrl: string;
  readonly logger: Logger;
  /** Initial contract; a contract stored in Redis (PUT /v1/site/contract) wins. */
  readonly contractCapW: number;
  readonly marginW: number;
  /** Site power = IT + fixed + fraction × IT. */
  readonly cooling?: CoolingModel;
  readonly policy?: Partial<Omit<Policy, 'reconcile' | 'commandIdPrefix' | 'gpuDraw' | 'moves'>> & {
    reconcile?: Partial<ReconcilePolicy>; gpuDraw?: Partial<GpuDrawPolicy>; moves?: Partial<MovesPolicy>;
  };
  /** Hashprice from configuration ($/TH/day); one set through the API wins. */
  readonly hashpricePerThDay?: number;
  /** OpenADR 3 VEN settings; the leader polls the VTN. */
  readonly openadr?: VenConfig;
  /** Decision interval. @defaultValue 200 */
  readonly tickMs?: number;
  /** Site sample interval. @defaultValue 1000 */
  readonly sampleMs?: number;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** Lease time-to-live; a standby takes over this long after the leader stops renewing. @defaultValue 3000 */
  readonly leaseTtlMs?: number;
  /** An agent that hears no leader this long applies its fallback. @defaultValue 30000 */
  readonly fallbackAfterMs?: number;
  /** Finished jobs and past grid events are kept this long. @defaultValue 7 days */
  readonly retentionMs?: number;
  /** The site meter at the point of connection (Modbus TCP), if the site has one. */
  readonly meter?: MeterConfigInput;
  /** Plan, explain and report, but send agents no command (bus/observe-sink.ts). */
  readonly observe?: boolean;
}

/**
 * The scheduler's composition root: Redis connections, the store, the command sink, the
 * agents' inbox and the lease plugged into the core and the use cases; the loops that drive
 * them; the typed events that logs, metrics and tests listen to. Decisions are the core's,
 * I/O is the ports'; this file only wires and starts.
 *
 * Active/standby: every scheduler process runs the lease loop; only the leader listens to
 * agents, steps, samples, arms agents and polls the VTN. A process that takes over reloads
 * the site from Redis before its first step and tells every host its new epoch; one that
 * loses the lease stops listening and commanding at once. A standby's API answers 503 naming
 * the leader (see http/standby.ts).
 */
export class Scheduler extends EventEmitter<SchedulerEvents> {
  readonly controller: Controller;
  readonly store: RedisStore;
  readonly jobs: Jobs;
  readonly grid: GridEvents;
  readonly settings: Settings;
  readonly agents: AgentReports;
  readonly loop: ControlLoop;
  schedules!: GridSchedules;
  ven: OpenAdrVen | undefined;
  private readonly clock: Clock;
  private readonly redis: Redis;
  private readonly lease: LocalDeadlineLease;
  private readonly sink: CommandSink;
  private readonly inbox: RedisAgentInbox;
  private readonly arming: Arming;
  private readonly leadership: LeadershipLoop;
  private readonly meter: MeterLoop | undefined;
  private readonly log: Logger;
  private readonly info: { apiUrl?: string; pid: number } = { pid: process.pid };
  private timers: unknown[] = [];

  constructor(private readonly opts: SchedulerOptions) {
    super();
    this.log = opts.logger;
    this.clock = opts.clock ?? systemClock;
    // Commands, store writes and the lease fail fast rather than queue while Redis is away: a
    // write that arrives minutes late, from a leader that has since lost the lease, is worse
    // than one that fails (the next step will try again, fenced).
    this.redis = openRedis(opts.redisUrl, { enableOfflineQueue: false, commandTimeout: 2000, maxRetriesPerRequest: 1 });
    const owner = `scheduler-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.lease = new LocalDeadlineLease(this.redis, owner, this.info, opts.leaseTtlMs ?? 3000);
    this.store = new RedisStore(this.redis, this.log, () => (this.lease.isLeading() ? this.lease.epoch : 0));
    this.sink = opts.observe ? new ObserveSink(this.log) : new BullCommandSink(this.redis);
    this.inbox = new RedisAgentInbox(opts.redisUrl, this.log);
    this.controller = new Controller({
      contract: { capW: opts.contractCapW, marginW: opts.marginW },
      cooling: opts.cooling ?? { fixedW: 0, fractionOfIt: 0 },
      policy: { ...opts.policy, commandIdPrefix: owner.slice('scheduler-'.length) },
    });
    const base = { controller: this.controller, store: this.store, clock: this.clock, events: this as EventEmitter<SchedulerEvents>, log: this.log };
    this.loop = new ControlLoop({ ...base, sink: this.sink, leadership: this.lease });
    this.arming = new Arming({ controller: this.controller, clock: this.clock, sink: this.sink, leadership: this.lease, log: this.log });
    const deps = { ...base, loop: this.loop };
    this.jobs = new Jobs(deps);
    this.grid = new GridEvents({ ...deps, arming: this.arming });
    this.settings = new Settings(deps);
    this.agents = new AgentReports({ ...deps, jobs: this.jobs, epoch: () => this.lease.epoch, stepDown: (epoch, why) => this.stepDown(epoch, why) });
    this.leadership = new LeadershipLoop({
      lease: this.lease, events: this, log: this.log,
      onGain: () => this.onGain(),
      onLose: () => this.onLose(),
      whileLeading: async () => {
        await this.grid.reload();
        await this.arming.run();
      },
    });
    if (opts.meter) {
      this.meter = new MeterLoop({ meter: new ModbusMeter(opts.meter), controller: this.controller, clock: this.clock, leadership: this.lease, events: this, log: this.log });
    }
    // Someone holds a higher epoch (a write refused by the fence): stop leading at once.
    this.on('failure', (f) => {
      if (f.error instanceof FencedError) void this.stepDown(f.error.currentEpoch, 'a store write was refused: a newer leader holds the site');
    });
  }

  /** Read models for the API (and the demo): what the latest state and plan say now. */
  readonly read = {
    sample: () => this.controller.sample(this.clock.now()),
    hosts: () => {
      const fallback = this.agents.fallbackHosts();
      return this.controller.hostViews(this.clock.now()).map((h) => ({ ...h, fallback: fallback.has(h.hostId) }));
    },
    devices: (id?: string) => this.controller.deviceViews(this.clock.now(), id),
    plan: () => this.controller.explain(),
    /** Who submitted a job not yet finished (the token's name), for what each caller may see. */
    jobOwner: (id: string) => this.controller.job(id)?.owner,
    /** Agent messages refused since this process started: a body naming another host than its sender, a failed schema, an epoch above the site's. */
    bus: () => ({ refused: { ...this.inbox.counters, ...this.agents.refused, forgedEpoch: this.forgedEpochs } }),
    /** The scheduler's clock (virtual in tests): what "now" is for upcoming/active/past. */
    now: () => this.clock.now(),
  };
  private forgedEpochs = 0;

  get epoch(): number {
    return this.lease.epoch;
  }

  /** Observe mode: commands are withheld (README: `--observe`). */
  get observing(): boolean {
    return this.opts.observe === true;
  }

  get isLeader(): boolean {
    return this.lease.isLeading();
  }

  /** Where this scheduler's API answers (named to clients by standbys while it leads). */
  advertise(apiUrl: string): void {
    this.info.apiUrl = apiUrl;
  }

  /** The leader as Redis knows it (for a standby to name it). */
  leader(): Promise<{ owner: string; epoch: number; apiUrl?: string; pid?: number } | undefined> {
    return this.lease.current();
  }

  async readiness(): Promise<Readiness> {
    const redis = await this.store.ping().catch(() => false);
    const leader = this.isLeader;
    const current = leader ? undefined : await this.leader().catch(() => undefined);
    // Steps that keep failing (Redis refusing writes: OOM, MISCONF, READONLY) make it unready.
    const healthy = this.loop.failingInARow < 3;
    return {
      ready: redis && leader && healthy, redis, leader, role: leader ? 'leader' : 'standby', epoch: this.epoch,
      ...(healthy ? {} : { failingSteps: this.loop.failingInARow }),
      ...(current?.apiUrl ? { leaderUrl: current.apiUrl } : {}),
      ...(this.observing ? { observe: true } : {}),
    };
  }

  async start(): Promise<void> {
    if (this.redis.status !== 'ready') await new Promise<void>((resolve) => this.redis.once('ready', () => resolve()));
    this.schedules = new GridSchedules(this.redis, () => openRedis(this.opts.redisUrl), (cmds, audit) => this.store.write(cmds, audit), async (sch, firedAt) => {
      await this.grid.add({
        startsAt: new Date(firedAt).toISOString(), endsAt: new Date(firedAt + sch.durationMinutes * 60_000).toISOString(),
        mandatory: sch.mandatory, program: sch.program ?? sch.name,
        ...(sch.capKw !== undefined ? { capKw: sch.capKw } : {}), ...(sch.shedKw !== undefined ? { shedKw: sch.shedKw } : {}),
        ...(sch.rampMinutes !== undefined ? { rampMinutes: sch.rampMinutes } : {}),
      }, 'schedule');
    }, this.log);
    await this.leadership.tick();
    const every = (ms: number, fn: () => Promise<void> | void) => this.timers.push(this.clock.setInterval(() => {
      Promise.resolve().then(fn).catch((e: unknown) => {
        this.log.error({ err: (e as Error).message }, 'loop failed');
        this.emit('failure', { where: 'loop', message: (e as Error).message, error: e });
      });
    }, ms));
    every(1000, () => this.leadership.tick());
    every(this.opts.tickMs ?? 200, () => this.loop.tick());
    if (this.meter) every(1000, () => this.meter!.tick());
    const afterMs = this.opts.fallbackAfterMs ?? 30_000;
    const lastFallback = new Map<string, Record<string, { kind: 'asic'; profile: string }>>();
    every(Math.min(10_000, afterMs / 3), async () => void (await armFallbacks({ controller: this.controller, clock: this.clock, sink: this.sink, leadership: this.lease, log: this.log, afterMs, last: lastFallback })));
    every(3_600_000, async () => void (await pruneOld({
      redis: this.redis, write: (cmds) => this.store.write(cmds), clock: this.clock, leadership: this.lease, log: this.log, retentionMs: this.opts.retentionMs ?? 7 * 86_400_000,
    })));
    every(this.opts.sampleMs ?? 1000, () => recordSample({ controller: this.controller, clock: this.clock, store: this.store, leadership: this.lease, events: this, log: this.log }));
  }

  async stop(): Promise<void> {
    this.loop.stop();
    this.ven?.stop();
    for (const t of this.timers) this.clock.clearInterval(t);
    this.meter?.close();
    await this.inbox.stop();
    await this.schedules?.close();
    await this.sink.close();
    if (this.leadership.isLeading) await this.lease.release().catch(() => undefined);
    this.redis.disconnect();
  }

  /** Taking over: the site from Redis, agents' reports from now on, every host told the new epoch. */
  private async onGain(): Promise<void> {
    await takeOver({
      store: this.store, controller: this.controller, sink: this.sink, epoch: this.lease.epoch, clock: this.clock, log: this.log,
      defaults: { capW: this.opts.contractCapW, marginW: this.opts.marginW, ...(this.opts.hashpricePerThDay !== undefined ? { hashpricePerThDay: this.opts.hashpricePerThDay } : {}) },
    });
    this.inbox.start({ telemetry: (b) => this.agents.telemetry(b), message: (m) => this.agents.message(m) });
    // The first step waits until every host has reported (or two silent periods have passed):
    // a host not heard from yet is not silent, and counting its devices at their maximum
    // would shed everything else for nothing. Meanwhile the devices keep the old leader's targets.
    const since = this.clock.now();
    const until = since + 2 * this.controller.policy.silentAfterMs;
    this.loop.holdWhile(() => this.clock.now() < until && [...this.controller.state.hosts.values()].some((h) => h.lastSeen < since));
    this.schedules.startWorker();
    this.startVen();
    this.loop.tick();
  }

  private onLose(): void {
    void this.inbox.stop();
    void this.schedules.stopWorker();
    this.ven?.stop();
    this.ven = undefined;
  }

  /** Stop leading now (someone holds a higher epoch); the lease loop may take over again later, above it. */
  private async stepDown(aboveEpoch: number, why: string): Promise<void> {
    // Old news (an epoch we already lead above, e.g. a stale result of an earlier term) is no reason.
    if (!this.lease.isLeading() || aboveEpoch <= this.lease.epoch) return;
    // Only leaders write the site's epoch (agents may only read it), and agents adopt no
    // epoch above it: a report of a higher one is forged (a compromised host pushing every
    // later leader's epoch up), so it is refused rather than obeyed.
    // An epoch that cannot be checked (the key unreadable or gone) is not believed either: the
    // lease loop finds out on its own whether another leader holds the site.
    const siteEpoch = Number(await this.redis.get(KEYS.epoch).catch(() => null));
    if (!(Number.isSafeInteger(siteEpoch) && siteEpoch > 0) || aboveEpoch > siteEpoch) {
      this.forgedEpochs++;
      this.log.error({ epoch: this.lease.epoch, siteEpoch, aboveEpoch, refused: this.forgedEpochs }, `not stepping down: epoch ${aboveEpoch} is above the site's (${why})`);
      return;
    }
    this.log.error({ epoch: this.lease.epoch, aboveEpoch }, `stepping down: ${why}`);
    await this.lease.stepDown(aboveEpoch);
    await this.leadership.tick();
  }

  /** The VEN runs in the leader only (one poller, one set of reports). */
  private startVen(): void {
    const cfg = this.opts.openadr;
    if (!cfg || this.ven) return;
    this.ven = new OpenAdrVen(cfg, {
      upsertCap: async (id, c) => {
        await this.grid.upsert(id, {
          ask: c.shedFraction !== undefined ? { shedFraction: c.shedFraction } : { capW: (c.capKw ?? 0) * 1000 },
          startsAt: c.startsAt, endsAt: c.endsAt, program: c.program, mandatory: true, source: 'openadr',
        });
      },
      removeCap: async (id) => void (await this.grid.remove(id)),
      setPrices: (intervals) => this.settings.setPriceIntervals(intervals),
      samples: (from, to) => this.store.samples(from, to),
      reported: (key) => this.store.reported(key),
      markReported: (key) => this.store.markReported(key),
    }, this.log.child({ component: 'openadr' }));
    this.ven.start();
  }
}

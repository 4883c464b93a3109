import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Queue, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { appendToStream, LeaderLease, openRedis, rangeStream, readStream } from '@wattbroker/bus';
import {
  AgentMessageSchema, ArmCommandSchema, BULL_PREFIX, RESULTS_QUEUE, SITE_SAMPLES_STREAM, TELEMETRY_STREAM,
  TelemetryBatchSchema, commandQueue, type AgentCommand, type AgentMessage, type EnergyPriceBody, type GridEventBody, type JobBody,
} from '@wattbroker/contracts';
import {
  Controller, DEFAULT_CONTROLLER_CONFIG, buildComplianceReport, type BaselineMethod, type ComplianceReport, type ControllerConfig,
  type DeviceOverride, type EnergyPrice, type GridCap, type Job, type JobTransition, type PriorityClassSpec, type SiteSample,
} from '@wattbroker/core';
import { GridSchedules } from './grid-schedules.js';
import { OpenAdrVen, type VenConfig } from './openadr/ven.js';
import { Store } from './store.js';

export interface SchedulerOptions {
  readonly redisUrl: string;
  readonly logger: Logger;
  /** Initial contract; a contract stored in Redis (PUT /v1/site/contract) wins. */
  readonly contractCapW: number;
  readonly marginW: number;
  readonly controller?: Partial<Omit<ControllerConfig, 'contractCapW' | 'marginW'>>;
  /** Hashprice from configuration ($/TH/day); one set through the API wins. */
  readonly hashpricePerThDay?: number;
  /** OpenADR 3 VEN settings; the leader polls the VTN. */
  readonly openadr?: VenConfig;
  /** Decision interval. @defaultValue 200 */
  readonly tickMs?: number;
  /** Site sample interval. @defaultValue 1000 */
  readonly sampleMs?: number;
}

/** Typed events: logs, metrics and tests listen to the same ones. */
export interface SchedulerEvents {
  'job:transition': [JobTransition];
  /** Commands of one step: issuedAt = the step's start, queuedAt = when the queue had it. */
  'commands:sent': [{ hostId: string; commandId: string; devices: number; issuedAt: number; queuedAt: number }[]];
  /** An agent's report on a command: when it took it (receivedAt) and what each device did. */
  'command:result': [Extract<AgentMessage, { type: 'result' }>];
  'sample': [SiteSample];
  'leader': [{ epoch: number }];
}

/**
 * The scheduler's I/O shell around the pure Controller: leadership, the telemetry stream,
 * the results queue, one command queue per host, persistence, and samples. Decisions are
 * the controller's; this file only moves data.
 */
export class Scheduler extends EventEmitter<SchedulerEvents> {
  readonly controller: Controller;
  readonly store: Store;
  private readonly redis: Redis;
  private readonly streamRedis: Redis;
  private readonly workerRedis: Redis;
  private readonly lease: LeaderLease;
  private readonly queues = new Map<string, Queue>();
  private worker: Worker | undefined;
  private scheduleRedis: Redis | undefined;
  schedules!: GridSchedules;
  ven: OpenAdrVen | undefined;
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  private leading = false;
  private lastTelemetryId = '$';
  private readonly log: Logger;

  constructor(private readonly opts: SchedulerOptions) {
    super();
    this.log = opts.logger;
    this.redis = openRedis(opts.redisUrl);
    this.streamRedis = openRedis(opts.redisUrl);
    this.workerRedis = openRedis(opts.redisUrl);
    this.store = new Store(this.redis);
    this.lease = new LeaderLease(this.redis, `scheduler-${process.pid}-${randomBytes(4).toString('hex')}`);
    this.controller = new Controller({
      ...DEFAULT_CONTROLLER_CONFIG,
      cooling: { fixedW: 0, fractionOfIt: 0 },
      ...opts.controller,
      contractCapW: opts.contractCapW,
      marginW: opts.marginW,
    });
  }

  get epoch(): number {
    return this.lease.epoch;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === 'PONG';
  }

  async start(): Promise<void> {
    const contract = await this.store.contract();
    if (contract) this.controller.setContract(contract.capW, contract.marginW);
    else await this.store.saveContract({ capW: this.opts.contractCapW, marginW: this.opts.marginW });
    this.controller.setGridCaps(await this.store.gridEvents());
    this.controller.setEnergyPrice(await this.store.energyPrice());
    this.controller.setHashprice((await this.store.hashprice()) ?? this.opts.hashpricePerThDay);
    const priorities = await this.store.priorities();
    if (priorities) this.controller.setPriorities(priorities);
    for (const [id, o] of await this.store.overrides()) this.controller.setOverride(id, o);
    for (const r of await this.store.registrations()) this.controller.register(r, 0);
    for (const j of await this.store.activeJobs()) this.controller.addJob(j);
    this.running = true;
    this.worker = new Worker(RESULTS_QUEUE, (job) => this.onAgentMessage(job), { connection: this.workerRedis, prefix: BULL_PREFIX, concurrency: 1 });
    this.worker.on('error', (e) => this.log.error({ err: e.message }, 'results worker error'));
    this.scheduleRedis = openRedis(this.opts.redisUrl);
    this.schedules = new GridSchedules(this.redis, this.scheduleRedis, async (sch, firedAt) => {
      await this.addGridEvent({
        startsAt: new Date(firedAt).toISOString(), endsAt: new Date(firedAt + sch.durationMinutes * 60_000).toISOString(),
        mandatory: sch.mandatory, program: sch.program ?? sch.name,
        ...(sch.capKw !== undefined ? { capKw: sch.capKw } : {}), ...(sch.shedKw !== undefined ? { shedKw: sch.shedKw } : {}),
        ...(sch.rampMinutes !== undefined ? { rampMinutes: sch.rampMinutes } : {}),
      }, 'schedule');
    }, this.log);
    await this.leadership();
    this.timers.push(setInterval(() => void this.leadership(), 1000));
    this.timers.push(setInterval(() => this.tick(), this.opts.tickMs ?? 200));
    this.timers.push(setInterval(() => void this.emitSample(), this.opts.sampleMs ?? 1000));
    void this.readTelemetry();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.ven?.stop();
    for (const t of this.timers) clearInterval(t);
    await this.worker?.close();
    await this.schedules?.close();
    for (const q of this.queues.values()) await q.close();
    if (this.leading) await this.lease.release().catch(() => undefined);
    this.streamRedis.disconnect();
    this.workerRedis.disconnect();
    this.scheduleRedis?.disconnect();
    this.redis.disconnect();
  }

  // ---- API-facing operations (each persists before it changes memory) ----------------

  async submitJob(body: JobBody): Promise<Job> {
    const now = Date.now();
    const job: Job = {
      id: `job-${now.toString(36)}-${randomBytes(4).toString('hex')}`,
      class: body.class, gpus: body.gpus, state: 'queued', timestamps: { queued: now },
      ...(body.powerLimitW !== undefined ? { powerLimitW: body.powerLimitW } : {}),
      ...(body.durationS !== undefined ? { durationS: body.durationS } : {}),
      ...(body.workload !== undefined ? { workload: body.workload } : {}),
    };
    await this.store.saveJob(job);
    this.controller.addJob(job);
    this.emit('job:transition', { job, from: 'queued', to: 'queued', at: now });
    this.tick();
    return job;
  }

  async cancelJob(id: string): Promise<Job | undefined> {
    const t = this.controller.cancelJob(id, Date.now());
    if (t) await this.persist([t]);
    this.tick();
    return this.controller.job(id) ?? (await this.store.job(id));
  }

  async setContract(capW: number, marginW: number): Promise<void> {
    await this.store.saveContract({ capW, marginW });
    this.controller.setContract(capW, marginW);
    this.tick();
  }

  /** Mean site power over the hour before `at`, from the recorded samples (or now). */
  async baselineW(at: number): Promise<number> {
    const entries = await rangeStream(this.redis, SITE_SAMPLES_STREAM, String(Math.max(0, at - 3_600_000)), String(at));
    const xs = entries.map((e) => (e.value as SiteSample).siteW);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : this.controller.sample(Date.now()).siteW;
  }

  async addGridEvent(body: GridEventBody, source = 'rest'): Promise<GridCap> {
    const startsAt = Date.parse(body.startsAt);
    const endsAt = Date.parse(body.endsAt);
    let capW = (body.capKw ?? 0) * 1000;
    let shed: Pick<GridCap, 'shedW' | 'baselineW'> = {};
    if (body.shedKw !== undefined) {
      const baselineW = await this.baselineW(Math.min(Date.now(), startsAt));
      capW = Math.max(0, baselineW - body.shedKw * 1000);
      shed = { shedW: body.shedKw * 1000, baselineW: Math.round(baselineW) };
    }
    const e: GridCap = {
      id: `grid-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, capW, startsAt, endsAt, ...shed, source,
      mandatory: body.mandatory,
      ...(body.rampMinutes !== undefined ? { rampMs: body.rampMinutes * 60_000 } : {}),
      ...(body.program !== undefined ? { program: body.program } : {}),
    };
    await this.store.saveGridEvent(e);
    this.controller.setGridCaps(await this.store.gridEvents());
    this.tick();
    return e;
  }

  async deleteGridEvent(id: string): Promise<boolean> {
    const ok = await this.store.deleteGridEvent(id);
    if (ok && this.armedAt.delete(id)) {
      // Disarm: an already-ended plan makes agents drop it.
      const asicHosts = this.controller.hostStates(Date.now()).filter((h) => h.kind === 'asic').map((h) => h.hostId);
      await Promise.all(asicHosts.map((hostId) => this.queue(hostId).add('arm', ArmCommandSchema.parse({
        eventId: id, hostId, epoch: this.lease.epoch, startsAt: 0, endsAt: 0, devices: {},
      }), { removeOnComplete: 100, removeOnFail: 100 })));
    }
    this.controller.setGridCaps(await this.store.gridEvents());
    this.tick();
    return ok;
  }

  async setEnergyPrice(body: EnergyPriceBody): Promise<EnergyPrice> {
    const price: EnergyPrice = 'pricePerMWh' in body
      ? { kind: 'constant', pricePerMWh: body.pricePerMWh, setAt: Date.now() }
      : { kind: 'intervals', intervals: body.intervals.map((i) => ({ start: Date.parse(i.start), end: Date.parse(i.end), pricePerMWh: i.pricePerMWh })) };
    await this.store.saveEnergyPrice(price);
    this.controller.setEnergyPrice(price);
    this.tick();
    return price;
  }

  async setHashprice(usdPerThDay: number): Promise<void> {
    await this.store.saveHashprice(usdPerThDay);
    this.controller.setHashprice(usdPerThDay);
    this.tick();
  }

  async setPriorities(list: readonly PriorityClassSpec[]): Promise<void> {
    await this.store.savePriorities(list);
    this.controller.setPriorities(list);
    this.tick();
  }

  async setOverride(id: string, o: DeviceOverride): Promise<void> {
    await this.store.saveOverride(id, o);
    this.controller.setOverride(id, o);
    this.tick();
  }

  /** Compliance report of a grid event, from the recorded site samples. */
  async gridReport(id: string, method: BaselineMethod): Promise<ComplianceReport | undefined> {
    const event = (await this.store.gridEvents()).find((e) => e.id === id);
    if (!event) return undefined;
    const now = Date.now();
    const from = event.startsAt - 61 * 60_000;
    const to = Math.min(event.endsAt, now) + 2000;
    const entries = await rangeStream(this.redis, SITE_SAMPLES_STREAM, String(Math.max(0, from)), String(to));
    return buildComplianceReport(event, entries.map((e) => e.value as SiteSample), now, method);
  }

  /** The VEN runs in the leader only (one poller, one set of reports). */
  private startVen(): void {
    const cfg = this.opts.openadr;
    if (!cfg || this.ven) return;
    const reportedKey = '{wb}:openadr:reported';
    this.ven = new OpenAdrVen(cfg, {
      upsertCap: async (id, c) => {
        let capW = (c.capKw ?? 0) * 1000;
        let shed: Pick<GridCap, 'shedW' | 'baselineW'> = {};
        if (c.shedFraction !== undefined) {
          const baselineW = await this.baselineW(Math.min(Date.now(), c.startsAt));
          capW = baselineW * (1 - c.shedFraction);
          shed = { shedW: Math.round(baselineW * c.shedFraction), baselineW: Math.round(baselineW) };
        }
        await this.store.saveGridEvent({ id, capW, startsAt: c.startsAt, endsAt: c.endsAt, program: c.program, mandatory: true, source: 'openadr', ...shed });
        this.controller.setGridCaps(await this.store.gridEvents());
        this.tick();
      },
      removeCap: async (id) => {
        await this.deleteGridEvent(id);
      },
      setPrices: async (intervals) => {
        const price = { kind: 'intervals' as const, intervals };
        await this.store.saveEnergyPrice(price);
        this.controller.setEnergyPrice(price);
      },
      samples: async (from, to) => (await rangeStream(this.redis, SITE_SAMPLES_STREAM, String(from), String(to))).map((e) => e.value as SiteSample),
      reported: async (key) => (await this.redis.sismember(reportedKey, key)) === 1,
      markReported: async (key) => void (await this.redis.sadd(reportedKey, key)),
    }, this.log.child({ component: 'openadr' }));
    this.ven.start();
  }

  /** When each upcoming mandatory event was last armed at the agents. */
  private readonly armedAt = new Map<string, { at: number; live: Set<string> }>();

  /**
   * Send every ASIC agent its part of the plan for each upcoming mandatory grid event, so it
   * can shed on its own at the start if this scheduler is gone by then. Re-armed every five
   * minutes (the fleet and the GPU load change).
   */
  private async armAgents(): Promise<void> {
    const now = Date.now();
    const liveAsicHosts = this.controller.hostStates(now).filter((h) => h.kind === 'asic' && !h.silent).map((h) => h.hostId);
    for (const e of this.controller.upcomingMandatory(now)) {
      const last = this.armedAt.get(e.id);
      // Re-armed every 5 min, and as soon as an ASIC host is live that was silent when the
      // event was last armed (it would not hold its part).
      if (last !== undefined && now - last.at < 300_000 && liveAsicHosts.every((h) => last.live.has(h))) continue;
      const byHost = new Map<string, Record<string, { kind: 'asic'; profile: string }>>();
      for (const [id, t] of this.controller.planForCap(e.capW, now)) {
        const devices = byHost.get(t.hostId) ?? {};
        devices[id] = { kind: 'asic', profile: t.profile };
        byHost.set(t.hostId, devices);
      }
      await Promise.all([...byHost].map(([hostId, devices]) => this.queue(hostId).add('arm', ArmCommandSchema.parse({
        eventId: e.id, hostId, epoch: this.lease.epoch, startsAt: e.startsAt, endsAt: e.endsAt, devices,
      }), { removeOnComplete: 100, removeOnFail: 100 })));
      if (byHost.size === 0) continue; // nothing plannable yet (no live miners): try again next second
      this.armedAt.set(e.id, { at: now, live: new Set(liveAsicHosts) });
      if (byHost.size) this.log.info({ eventId: e.id, hosts: byHost.size }, 'agents armed for a mandatory grid event');
    }
  }

  // ---- loops --------------------------------------------------------------------------

  private async leadership(): Promise<void> {
    try {
      const was = this.leading;
      this.leading = await this.lease.tick();
      // Grid events may come from any scheduler process (a schedule firing, the API of a
      // standby): the leader reloads them every second.
      if (this.leading) {
        this.controller.setGridCaps(await this.store.gridEvents());
        await this.armAgents();
      }
      if (this.leading && !was) {
        this.log.info({ epoch: this.lease.epoch }, 'leading');
        this.emit('leader', { epoch: this.lease.epoch });
        this.startVen();
      } else if (!this.leading && was) {
        this.log.warn('lost leadership');
        this.ven?.stop();
        this.ven = undefined;
      }
    } catch (e) {
      this.leading = false;
      this.log.error({ err: (e as Error).message }, 'leader lease check failed');
    }
  }

  private async readTelemetry(): Promise<void> {
    while (this.running) {
      try {
        const entries = await readStream(this.streamRedis, TELEMETRY_STREAM, this.lastTelemetryId, 200);
        const now = Date.now();
        let changed = false;
        for (const e of entries) {
          this.lastTelemetryId = e.id;
          const batch = TelemetryBatchSchema.safeParse(e.value);
          if (batch.success) changed = this.controller.telemetry(batch.data, now) || changed;
          else this.log.warn({ id: e.id, issue: batch.error.issues[0]?.message }, 'invalid telemetry batch skipped');
        }
        // A confirmation may let a waiting job run: decide now, not at the next tick.
        if (changed) this.tick();
      } catch (e) {
        if (this.running) this.log.warn({ err: (e as Error).message }, 'telemetry read failed');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private async onAgentMessage(job: BullJob): Promise<void> {
    const parsed = AgentMessageSchema.safeParse(job.data);
    if (!parsed.success) throw new Error(`invalid agent message: ${parsed.error.issues[0]?.message}`);
    const msg = parsed.data;
    const now = Date.now();
    if (msg.type === 'register') {
      await this.store.saveRegistration(msg);
      this.controller.register(msg, now);
    } else if (msg.type === 'job') {
      if (msg.state === 'running') return;
      const t = this.controller.jobEnded(msg.jobId, msg.state === 'done', msg.error, now);
      if (t) await this.persist([t]);
    } else {
      // Command results change nothing the controller decides on (telemetry confirms).
      if (msg.stale) this.log.warn({ hostId: msg.hostId, commandId: msg.commandId }, 'agent ignored a stale command');
      const failed = Object.entries(msg.devices).filter(([, r]) => !r.ok);
      if (failed.length) this.log.warn({ hostId: msg.hostId, failed: failed.slice(0, 5) }, 'devices failed to apply');
      this.emit('command:result', msg);
      return;
    }
    this.tick();
  }

  private ticking = false;
  private again = false;

  /** Run one controller step now (coalesced: never two at once). */
  tick(): void {
    if (!this.running || !this.leading) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void this.runStep().finally(() => {
      this.ticking = false;
      if (this.again) {
        this.again = false;
        this.tick();
      }
    });
  }

  /**
   * One controller step and its I/O. Steps never overlap (tick() coalesces requests that
   * arrive meanwhile into one more step), so transitions are persisted before the commands
   * that act on them are sent, and one step's commands go out before the next step's.
   */
  private async runStep(): Promise<void> {
    const now = Date.now();
    const out = this.controller.step(now);
    await this.persist(out.jobTransitions);
    const sent = await Promise.all(out.commands.map(async (c) => {
      // Typed from the controller's output, and validated by the agent that takes it: not
      // parsed again here (50 commands of 200 miners cost ~10 ms, on a grid shed's path).
      const cmd: AgentCommand = {
        commandId: `cmd-${now.toString(36)}-${randomBytes(3).toString('hex')}`, hostId: c.hostId, epoch: this.lease.epoch,
        issuedAt: now, devices: c.devices,
      };
      await this.queue(c.hostId).add('desired', cmd, { removeOnComplete: 200, removeOnFail: 200 });
      return { hostId: c.hostId, commandId: cmd.commandId, devices: Object.keys(c.devices).length, issuedAt: now, queuedAt: Date.now() };
    }));
    if (sent.length) this.emit('commands:sent', sent);
  }

  private async persist(transitions: readonly JobTransition[]): Promise<void> {
    if (transitions.length === 0) return;
    await this.store.saveJobs(transitions.map((t) => t.job));
    for (const t of transitions) {
      this.log.info({ jobId: t.job.id, from: t.from, to: t.to }, 'job');
      this.emit('job:transition', t);
    }
  }

  private async emitSample(): Promise<void> {
    if (!this.leading) return;
    const s = this.controller.sample(Date.now());
    try {
      await appendToStream(this.redis, SITE_SAMPLES_STREAM, s, 200_000);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'sample not recorded');
    }
    this.emit('sample', s);
  }

  private queue(hostId: string): Queue {
    let q = this.queues.get(hostId);
    if (!q) {
      q = new Queue(commandQueue(hostId), { connection: this.redis, prefix: BULL_PREFIX });
      this.queues.set(hostId, q);
    }
    return q;
  }
}

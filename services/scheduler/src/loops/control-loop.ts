import { performance } from 'node:perf_hooks';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AgentCommand, AuditEntry } from '@wattbroker/contracts';
import type { Controller, JobTransition, StepOutput } from '@wattbroker/core';
import type { SchedulerEvents, SentCommand } from '../events.js';
import type { Clock, CommandSink, Leadership, SiteStore } from '../ports.js';

export interface ControlLoopDeps {
  readonly controller: Controller;
  readonly clock: Clock;
  readonly store: SiteStore;
  readonly sink: CommandSink;
  readonly leadership: Leadership;
  readonly events: EventEmitter<SchedulerEvents>;
  readonly log: Logger;
}

/** Steps whose writes may be in flight at once before the next step waits for them. */
const MAX_IO_IN_FLIGHT = 2;

/**
 * Runs control steps: on every tick, and as soon as something arrives that a step should act
 * on. Requests in the same turn of the event loop make one step. The decision is synchronous;
 * its I/O (persist the job transitions, then send the commands) joins one ordered chain, so a
 * step's transitions reach Redis before its commands, and one step's writes before the next
 * step's, while the next decision need not wait for the previous step's round trips. Only
 * when Redis falls behind (more than two steps' writes in flight) do steps wait. A failing
 * step is logged, counted and survived: the next tick starts from the state as it is.
 */
export class ControlLoop {
  private scheduled = false;
  private stopped = false;
  private inFlight = 0;
  private io: Promise<void> = Promise.resolve();
  failures = 0;
  /** Steps in a row that failed (0 after one that went through): readiness reads it. */
  failingInARow = 0;

  /** Steps wait while this says so (a new leader hearing from its hosts first). */
  private hold: () => boolean = () => false;

  constructor(private readonly d: ControlLoopDeps) {}

  /** Run no step while `until()` is true. */
  holdWhile(until: () => boolean): void {
    this.hold = until;
  }

  tick(): void {
    if (this.stopped || this.scheduled || !this.d.leadership.isLeading() || this.hold()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.inFlight >= MAX_IO_IN_FLIGHT) {
        void this.io.then(() => this.tick());
        return;
      }
      this.runStep();
    });
  }

  stop(): void {
    this.stopped = true;
  }

  /** Resolves when every step decided so far has finished its writes. */
  idle(): Promise<void> {
    return this.io;
  }

  private runStep(): void {
    if (this.stopped || !this.d.leadership.isLeading()) return;
    const { controller, clock, events } = this.d;
    const now = clock.now();
    let out: StepOutput;
    const t0 = performance.now();
    try {
      out = controller.step(now);
    } catch (e) {
      this.fail(e);
      return;
    }
    const durationMs = performance.now() - t0;
    for (const e of out.deviceEvents) {
      if (e.to === 'on-target') this.d.log.info({ device: e.id, hostId: e.hostId }, 'device back on target');
      else this.d.log.warn({ device: e.id, hostId: e.hostId, reason: e.reason }, e.to === 'disobedient' ? 'device disobedient' : 'device off target');
      events.emit('device', e);
    }
    if (out.jobTransitions.length === 0 && out.commands.length === 0) {
      events.emit('step', { at: now, durationMs, commands: 0, transitions: 0 });
      return;
    }
    this.inFlight++;
    this.io = this.io
      .then(() => this.write(out, now, durationMs))
      .catch((e: unknown) => this.fail(e))
      .finally(() => {
        this.inFlight--;
      });
  }

  private async write(out: StepOutput, now: number, durationMs: number): Promise<void> {
    const { clock, sink, leadership, events } = this.d;
    await this.persist(out.jobTransitions);
    // Fencing: a leader whose lease ran out locally sends nothing.
    if (out.commands.length && !leadership.isLeading()) {
      this.d.log.warn({ commands: out.commands.length }, 'lease ran out: commands not sent');
      return;
    }
    const sent = await Promise.all(out.commands.map(async (c): Promise<SentCommand> => {
      const cmd: AgentCommand = { commandId: c.commandId, hostId: c.hostId, epoch: leadership.epoch, issuedAt: now, devices: c.devices };
      await sink.send(cmd);
      return { hostId: c.hostId, commandId: c.commandId, devices: Object.keys(c.devices).length, issuedAt: now, queuedAt: clock.now() };
    }));
    if (sent.length) events.emit('commands:sent', sent);
    events.emit('step', { at: now, durationMs, commands: sent.length, transitions: out.jobTransitions.length });
  }

  private fail(e: unknown): void {
    this.failures++;
    this.failingInARow++;
    this.d.log.error({ err: (e as Error).message }, 'control step failed');
    this.d.events.emit('failure', { where: 'step', message: (e as Error).message, error: e });
  }

  /**
   * Transitions made outside a step (a cancel, a job's end): written in the same ordered chain
   * as the steps' writes, so a later state never lands in Redis before an earlier one.
   */
  record(transitions: readonly JobTransition[], audit?: AuditEntry): Promise<void> {
    const done = this.io.then(() => this.persist(transitions, audit));
    this.io = done.catch((e: unknown) => this.fail(e));
    return done;
  }

  /** Job transitions reach Redis before anything acts on them; then logs and listeners hear of them. */
  private async persist(transitions: readonly JobTransition[], audit?: AuditEntry): Promise<void> {
    if (transitions.length === 0) return;
    await this.d.store.saveJobs(transitions.map((t) => t.job), audit);
    for (const t of transitions) {
      this.d.log.info({ jobId: t.job.id, from: t.from, to: t.to }, 'job');
      this.d.events.emit('job:transition', t);
    }
  }
}

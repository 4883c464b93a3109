import { performance } from 'node:perf_hooks';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AgentCommand } from '@wattbroker/contracts';
import type { Controller, JobTransition } from '@wattbroker/core';
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

/**
 * Runs control steps: on every tick, and at once when something arrives that a step should
 * act on. Steps never overlap (requests while one runs coalesce into one more), so a step's
 * job transitions are persisted before the commands that act on them are sent, and one
 * step's commands are queued before the next step's. A failing step is logged, counted and
 * survived: the next tick tries again from the state as it is.
 */
export class ControlLoop {
  private running = false;
  private again = false;
  private stopped = false;
  failures = 0;

  constructor(private readonly d: ControlLoopDeps) {}

  tick(): void {
    if (this.stopped || !this.d.leadership.isLeading()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.runStep().catch((e: unknown) => {
      this.failures++;
      this.d.log.error({ err: (e as Error).message }, 'control step failed');
      this.d.events.emit('failure', { where: 'step', message: (e as Error).message });
    }).finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.tick();
      }
    });
  }

  stop(): void {
    this.stopped = true;
  }

  private async runStep(): Promise<void> {
    const { controller, clock, store, sink, leadership, events } = this.d;
    const now = clock.now();
    const t0 = performance.now();
    const out = controller.step(now);
    const durationMs = performance.now() - t0;
    await this.persist(out.jobTransitions);
    for (const e of out.deviceEvents) {
      if (e.to === 'on-target') this.d.log.info({ device: e.id, hostId: e.hostId }, 'device back on target');
      else this.d.log.warn({ device: e.id, hostId: e.hostId, reason: e.reason }, e.to === 'disobedient' ? 'device disobedient' : 'device off target');
      events.emit('device', e);
    }
    // Fencing: a leader whose lease ran out locally while it planned sends nothing.
    if (out.commands.length && !leadership.isLeading()) {
      this.d.log.warn({ commands: out.commands.length }, 'lease ran out during the step: commands not sent');
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

  /** Job transitions reach Redis before anything acts on them; then logs and listeners hear of them. */
  async persist(transitions: readonly JobTransition[]): Promise<void> {
    if (transitions.length === 0) return;
    await this.d.store.saveJobs(transitions.map((t) => t.job));
    for (const t of transitions) {
      this.d.log.info({ jobId: t.job.id, from: t.from, to: t.to }, 'job');
      this.d.events.emit('job:transition', t);
    }
  }
}

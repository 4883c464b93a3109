import type { Logger } from 'pino';
import { ArmCommandSchema, type GridEventRecord } from '@wattbroker/contracts';
import type { Controller } from '@wattbroker/core';
import type { Clock, CommandSink, Leadership } from '../ports.js';

/** Re-arm every so often: the fleet and the GPU load change. */
const REARM_MS = 300_000;
/** Events further ahead than this are armed later (agents hold no timers for months). */
const ARM_HORIZON_MS = 24 * 3_600_000;

/**
 * Pre-armed grid sheds: every ASIC agent holds its part of the plan for each upcoming
 * mandatory grid event (the same pure plan, on a what-if snapshot at the event's cap), so it
 * can shed on its own at the start if the scheduler is gone by then.
 */
export class Arming {
  /** When each event was last armed, and which ASIC hosts were live then. */
  private readonly armed = new Map<string, { at: number; live: Set<string> }>();

  constructor(private readonly d: { controller: Controller; clock: Clock; sink: CommandSink; leadership: Leadership; log: Logger }) {}

  async run(): Promise<void> {
    const { controller, clock, sink, leadership } = this.d;
    if (!leadership.isLeading()) return;
    const now = clock.now();
    const liveAsicHosts = controller.hostViews(now).filter((h) => h.kind === 'asic' && !h.silent).map((h) => h.hostId);
    for (const e of controller.upcomingMandatory(now)) {
      if (e.startsAt - now > ARM_HORIZON_MS) continue;
      const last = this.armed.get(e.id);
      // Re-armed every 5 min, and as soon as an ASIC host is live that was silent when the
      // event was last armed (it would not hold its part).
      if (last !== undefined && now - last.at < REARM_MS && liveAsicHosts.every((h) => last.live.has(h))) continue;
      const byHost = new Map<string, Record<string, { kind: 'asic'; profile: string }>>();
      for (const [id, t] of controller.whatIf(e.capW, now)) {
        const devices = byHost.get(t.hostId) ?? {};
        devices[id] = { kind: 'asic', profile: t.profile };
        byHost.set(t.hostId, devices);
      }
      if (byHost.size === 0) continue; // nothing plannable yet (no live miners): try again next time
      await Promise.all([...byHost].map(([hostId, devices]) => sink.arm(this.command(e, hostId, devices))));
      this.armed.set(e.id, { at: now, live: new Set(liveAsicHosts) });
      this.d.log.info({ eventId: e.id, hosts: byHost.size }, 'agents armed for a mandatory grid event');
    }
  }

  /** An event deleted: every ASIC agent drops its plan (an already-ended plan is dropped on receipt). */
  async disarm(eventId: string): Promise<void> {
    this.armed.delete(eventId);
    const hosts = this.d.controller.hostViews(this.d.clock.now()).filter((h) => h.kind === 'asic').map((h) => h.hostId);
    await Promise.all(hosts.map((hostId) => this.d.sink.arm(ArmCommandSchema.parse({
      eventId, hostId, epoch: this.d.leadership.epoch, startsAt: 0, endsAt: 0, devices: {},
    }))));
  }

  private command(e: GridEventRecord, hostId: string, devices: Record<string, { kind: 'asic'; profile: string }>) {
    return ArmCommandSchema.parse({ eventId: e.id, hostId, epoch: this.d.leadership.epoch, startsAt: e.startsAt, endsAt: e.endsAt, devices });
  }
}

import type { AgentMessage, TelemetryBatch } from '@wattbroker/contracts';
import { devicesOfOtherHosts } from '@wattbroker/core';
import type { UseCaseDeps } from './deps.js';
import type { Jobs } from './jobs.js';

/**
 * What agents report, into the core: telemetry (a step at once when it changes a decision),
 * registrations (kept, so a restarted scheduler knows the site at once), command results
 * (which let the reconciliation judge readings) and job ends.
 */
export class AgentReports {
  /**
   * Well-formed messages refused for what they claim (shown in `/v1/bus`): a registration
   * naming devices another host still lists, a job end for a job that runs on another host.
   */
  readonly refused = { foreignDevice: 0, foreignJob: 0 };

  /** Hosts whose latest telemetry says they run their fallback (they heard no leader). */
  private readonly onFallback = new Set<string>();

  constructor(private readonly d: UseCaseDeps & {
    readonly jobs: Jobs;
    /** This leader's epoch. */
    readonly epoch: () => number;
    /** An agent has heard a higher epoch than ours: another leader, or Redis lost the epoch. */
    readonly stepDown: (aboveEpoch: number, why: string) => Promise<void>;
  }) {}

  telemetry(batch: TelemetryBatch): void {
    if (batch.epoch > this.d.epoch()) {
      void this.d.stepDown(batch.epoch, `agent ${batch.hostId} obeys epoch ${batch.epoch}, above ours`);
      return;
    }
    const now = this.d.clock.now();
    this.noteFallback(batch);
    if (this.d.controller.telemetry(batch, now)) this.d.loop.tick();
    this.d.events.emit('telemetry', { hostId: batch.hostId, at: now });
  }

  /** The hosts whose agents say they run their fallback, for `/v1/hosts`. */
  fallbackHosts(): ReadonlySet<string> {
    return this.onFallback;
  }

  /** An agent on its fallback is logged once when it says so and once when it is back. */
  private noteFallback(batch: TelemetryBatch): void {
    if (batch.fallback && !this.onFallback.has(batch.hostId)) {
      this.onFallback.add(batch.hostId);
      this.d.log.warn({ hostId: batch.hostId }, 'agent reports it is on its fallback (it heard no leader)');
    } else if (!batch.fallback && this.onFallback.delete(batch.hostId)) {
      this.d.log.info({ hostId: batch.hostId }, 'agent is off its fallback: this leader is in charge');
    }
  }

  async message(msg: AgentMessage): Promise<void> {
    const now = this.d.clock.now();
    if (msg.type === 'register') {
      const claimed = devicesOfOtherHosts(this.d.controller.state, msg);
      if (claimed.length > 0) {
        this.refused.foreignDevice++;
        this.d.log.warn({ hostId: msg.hostId, devices: claimed.slice(0, 5), count: claimed.length, refused: this.refused.foreignDevice }, 'registration refused: it names devices another host lists');
        return;
      }
      const { type: _t, sentAt: _s, ...registration } = msg;
      await this.d.store.saveRegistration(registration);
      this.d.controller.register(registration, now);
      this.d.events.emit('registered', { hostId: msg.hostId, devices: msg.devices.length });
      this.d.loop.tick();
    } else if (msg.type === 'job') {
      const runsOn = this.d.controller.job(msg.jobId)?.hostId;
      if (runsOn !== undefined && runsOn !== msg.hostId) {
        this.refused.foreignJob++;
        this.d.log.warn({ hostId: msg.hostId, jobId: msg.jobId, runsOn, refused: this.refused.foreignJob }, 'job report refused: the job runs on another host');
        return;
      }
      await this.d.jobs.ended(msg);
    } else {
      this.d.controller.result(msg, now);
      if (msg.stale) {
        // Our command was refused as stale: an agent obeys a newer epoch than ours.
        await this.d.stepDown(msg.agentEpoch ?? msg.epoch, `agent ${msg.hostId} refused command ${msg.commandId} as stale`);
        return;
      }
      const failed = Object.entries(msg.devices).filter(([, r]) => !r.ok);
      if (failed.length) this.d.log.warn({ hostId: msg.hostId, failed: failed.slice(0, 5) }, 'devices failed to apply');
      this.d.events.emit('command:result', msg);
    }
  }
}

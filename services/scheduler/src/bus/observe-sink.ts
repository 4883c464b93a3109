import type { Logger } from 'pino';
import type { AgentCommand, ArmCommand, FallbackCommand } from '@wattbroker/contracts';
import type { CommandSink } from '../ports.js';

/**
 * `--observe`: the scheduler plans, explains and reports, but no command leaves it. Every
 * command it would have sent (desired states, fallback arming, grid pre-arming) is counted
 * and logged at debug instead, so a site can run it beside its current tooling and compare
 * `/v1/plan` with what that tooling does. Agents hear nothing from it: their devices stay
 * as they are (and so do GPU jobs, which are never started).
 */
export class ObserveSink implements CommandSink {
  readonly withheld = { desired: 0, arm: 0, fallback: 0 };

  constructor(private readonly log: Logger) {}

  async send(cmd: AgentCommand): Promise<void> {
    this.withheld.desired++;
    this.log.debug({ hostId: cmd.hostId, devices: Object.keys(cmd.devices).length }, 'observe: command withheld');
  }

  async arm(cmd: ArmCommand): Promise<void> {
    this.withheld.arm++;
    this.log.debug({ hostId: cmd.hostId }, 'observe: grid arming withheld');
  }

  async fallback(cmd: FallbackCommand): Promise<void> {
    this.withheld.fallback++;
    this.log.debug({ hostId: cmd.hostId }, 'observe: fallback arming withheld');
  }

  async close(): Promise<void> {}
}

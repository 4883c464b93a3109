import type { Logger } from 'pino';
import type { DeviceResult, FallbackCommand } from '@wattbroker/contracts';
import type { HostDevices } from './host-devices.js';

/**
 * Fail-safe: the conservative state the leader keeps this agent armed with, applied on the
 * agent's own when no leader has been heard for the fallback's `afterMs` (the scheduler gone,
 * Redis unreachable, the network cut). Only where it lowers a device's power; never a raise.
 * The leader re-sends it every few seconds, and any command of a leader counts as hearing one;
 * once a leader speaks again it is in charge and the agent leaves fallback.
 */
export class FallbackGuard {
  private cmd: FallbackCommand | undefined;
  private heardAt = Date.now();
  private applying = false;
  active = false;

  constructor(private readonly d: {
    devices: HostDevices;
    log: Logger;
    /** The fallback was applied: what it touched. */
    onApplied(results: Record<string, DeviceResult>): void;
  }) {}

  /** A leader spoke (a command, an armed shed, a fallback of a current epoch). */
  heard(now = Date.now()): void {
    this.heardAt = now;
    if (this.active) {
      this.active = false;
      this.d.log.warn('a leader is back: fallback over, the leader is in charge');
    }
  }

  /** Keep (or replace) the fallback to apply. */
  set(cmd: FallbackCommand): void {
    this.cmd = cmd;
  }

  get armed(): FallbackCommand | undefined {
    return this.cmd;
  }

  /** Called every second: apply the fallback once the leader has been silent long enough. */
  async tick(now = Date.now()): Promise<void> {
    const cmd = this.cmd;
    if (!cmd || this.active || this.applying || now - this.heardAt < cmd.afterMs) return;
    this.applying = true;
    try {
      const results = this.d.devices.applyIfLower ? await this.d.devices.applyIfLower(cmd.devices) : {};
      this.active = true;
      const lowered = Object.values(results).filter((r) => r.ok && !r.confirmed).length;
      this.d.log.warn({ silentForMs: now - this.heardAt, devices: Object.keys(cmd.devices).length, lowered }, 'no leader heard: applied the fallback (lowering only)');
      this.d.onApplied(results);
    } catch (e) {
      this.d.log.error({ err: (e as Error).message }, 'fallback not applied; will try again');
    } finally {
      this.applying = false;
    }
  }
}

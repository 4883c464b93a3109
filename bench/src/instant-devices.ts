import type { HostDevices } from '@wattbroker/agent';
import type { DesiredState, DeviceInventory, DeviceReading, DeviceResult } from '@wattbroker/contracts';
import { GPU_MODELS, generateFleet, plannerProfiles } from '@wattbroker/core';

/**
 * Devices that do what they are told at once and read back exactly: the benchmarks measure
 * the control plane (HTTP, Redis, BullMQ, controller), not miner physics.
 */
export class InstantMiners implements HostDevices {
  private readonly state = new Map<string, { profiles: ReturnType<typeof plannerProfiles>; profile: string; configured: string }>();

  constructor(count: number, prefix: string, seed = 1) {
    for (const u of generateFleet({ miners: count, seed, idPrefix: prefix })) this.state.set(u.id, { profiles: plannerProfiles(u), profile: 'default', configured: 'default' });
  }

  /** Draw with every miner at its default profile. */
  stockW(): number {
    let w = 0;
    for (const m of this.state.values()) w += m.profiles.find((p) => p.name === 'default')!.powerW;
    return w;
  }

  async inventory(): Promise<DeviceInventory[]> {
    return [...this.state].map(([id, m]) => ({ id, kind: 'asic' as const, model: 'sim', profiles: m.profiles, sleepW: 25 }));
  }

  async read(): Promise<DeviceReading[]> {
    return [...this.state].map(([id, m]) => {
      const row = m.profiles.find((p) => p.name === m.profile)!;
      return { id, reachable: true, powerW: row.powerW, hashrateThs: row.hashrateThs, profile: m.configured, sleeping: m.profile === 'sleep', ramping: false };
    });
  }

  async apply(desired: Record<string, DesiredState>): Promise<Record<string, DeviceResult>> {
    const out: Record<string, DeviceResult> = {};
    for (const [id, want] of Object.entries(desired)) {
      const m = this.state.get(id);
      if (m && want.kind === 'asic') {
        m.profile = want.profile;
        if (want.profile !== 'sleep') m.configured = want.profile;
      }
      out[id] = { ok: true, confirmed: true };
    }
    return out;
  }

  async close(): Promise<void> {}
}

export class InstantGpus implements HostDevices {
  private readonly gpus = new Map<string, { limitW: number; job: string | null }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly started = new Set<string>();
  private listener: ((jobId: string, ok: boolean) => void) | undefined;

  constructor(count: number, prefix: string, private readonly jobMs: number) {
    for (let i = 0; i < count; i++) this.gpus.set(`${prefix}-${i}`, { limitW: 700, job: null });
  }

  onJobEnd(l: (jobId: string, ok: boolean) => void): void {
    this.listener = l;
  }

  async inventory(): Promise<DeviceInventory[]> {
    const m = GPU_MODELS.h100;
    return [...this.gpus.keys()].map((id) => ({ id, kind: 'gpu' as const, model: m.name, minLimitW: m.minLimitW, maxLimitW: m.maxLimitW, idleW: m.idleW }));
  }

  async read(): Promise<DeviceReading[]> {
    return [...this.gpus].map(([id, g]) => ({ id, reachable: true, powerW: g.job ? g.limitW : 64, powerLimitW: g.limitW, jobId: g.job }));
  }

  async apply(desired: Record<string, DesiredState>): Promise<Record<string, DeviceResult>> {
    const out: Record<string, DeviceResult> = {};
    for (const [id, want] of Object.entries(desired)) {
      const g = this.gpus.get(id);
      if (!g || want.kind !== 'gpu') continue;
      g.limitW = want.powerLimitW;
      const jobId = want.job?.id ?? null;
      if (jobId && g.job !== jobId) {
        g.job = jobId;
        out[id] = { ok: true, confirmed: true };
        if (this.started.has(jobId)) continue;
        this.started.add(jobId);
        const t = setTimeout(() => {
          this.timers.delete(t);
          for (const x of this.gpus.values()) if (x.job === jobId) x.job = null;
          this.listener?.(jobId, true);
        }, this.jobMs);
        this.timers.add(t);
      } else if (!jobId) g.job = null;
      out[id] = { ok: true, confirmed: true };
    }
    return out;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
  }
}

import { gpuModel } from '@wattbroker/core';
import type { DesiredState, DeviceInventory, DeviceReading, DeviceResult, GpuJobSpec, HostConfig } from '@wattbroker/contracts';
import type { GpuDriver } from '@wattbroker/drivers';
import type { HostDevices } from './host-devices.js';
import { runWorkload } from './workload.js';

type GpuConfig = Extract<HostConfig, { kind: 'gpu' }>;

interface RunningJob {
  readonly abort: AbortController;
  readonly gpus: Set<string>;
}

/**
 * A GPU server: sets power limits and runs admitted jobs. A job's limit is applied before
 * the job starts (the reservation is enforced on the card before any load appears).
 */
export class GpuHost implements HostDevices {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly gpuJob = new Map<string, string>();
  private listener: ((jobId: string, ok: boolean, error?: string) => void) | undefined;

  constructor(
    private readonly config: GpuConfig,
    private readonly driver: GpuDriver,
    private readonly speed = 1,
  ) {}

  onJobEnd(listener: (jobId: string, ok: boolean, error?: string) => void): void {
    this.listener = listener;
  }

  async inventory(): Promise<DeviceInventory[]> {
    const readings = await this.driver.read();
    return this.config.gpus.map((g) => {
      const r = readings.find((x) => x.index === g.index);
      const model = gpuModel(g.model);
      return {
        id: g.id, kind: 'gpu' as const, model: r?.name ?? model.name,
        minLimitW: r?.minLimitW ?? model.minLimitW, maxLimitW: r?.maxLimitW ?? model.maxLimitW, idleW: model.idleW,
      };
    });
  }

  async read(): Promise<DeviceReading[]> {
    let readings: Awaited<ReturnType<GpuDriver['read']>> = [];
    try {
      readings = await this.driver.read();
    } catch {
      readings = [];
    }
    return this.config.gpus.map((g) => {
      const r = readings.find((x) => x.index === g.index);
      return r
        ? { id: g.id, reachable: true, powerW: r.powerW, powerLimitW: r.powerLimitW, jobId: this.gpuJob.get(g.id) ?? null }
        : { id: g.id, reachable: false, powerW: 0 };
    });
  }

  async apply(desired: Record<string, DesiredState>): Promise<Record<string, DeviceResult>> {
    const results: Record<string, DeviceResult> = {};
    const readings = await this.driver.read().catch(() => []);
    const wantedJobs = new Map<string, { spec: GpuJobSpec; gpus: Set<string> }>();
    for (const [id, want] of Object.entries(desired)) {
      const g = this.config.gpus.find((x) => x.id === id);
      if (!g) {
        results[id] = { ok: false, confirmed: false, error: `no GPU "${id}" on this host` };
        continue;
      }
      if (want.kind !== 'gpu') {
        results[id] = { ok: false, confirmed: false, error: `${id} is a GPU; got a ${want.kind} state` };
        continue;
      }
      try {
        const current = readings.find((r) => r.index === g.index)?.powerLimitW;
        if (current !== want.powerLimitW) await this.driver.setPowerLimit(g.index, want.powerLimitW);
        results[id] = { ok: true, confirmed: true };
        if (want.job) {
          const entry = wantedJobs.get(want.job.id) ?? { spec: want.job, gpus: new Set<string>() };
          entry.gpus.add(id);
          wantedJobs.set(want.job.id, entry);
        }
      } catch (e) {
        results[id] = { ok: false, confirmed: false, error: (e as Error).message };
      }
    }
    // Jobs no longer wanted on any GPU this command speaks for are cancelled.
    for (const [jobId, job] of this.jobs) {
      const spoken = [...job.gpus].some((gid) => gid in desired);
      if (spoken && !wantedJobs.has(jobId)) this.stop(jobId, 'cancelled');
    }
    for (const [jobId, { spec, gpus }] of wantedJobs) {
      if (this.jobs.has(jobId)) continue;
      if ([...gpus].some((gid) => results[gid]?.ok !== true)) continue; // limit not enforced: do not start
      this.start(spec, gpus);
    }
    return results;
  }

  private start(spec: GpuJobSpec, gpus: Set<string>): void {
    const abort = new AbortController();
    this.jobs.set(spec.id, { abort, gpus });
    for (const gid of gpus) {
      this.gpuJob.set(gid, spec.id);
      this.markBusy(gid, true);
    }
    runWorkload(spec, this.speed, abort.signal, { endpoints: this.config.endpoints, maxResponseBytes: this.config.maxResponseBytes }).then(
      () => this.finish(spec.id, true),
      (e: unknown) => this.finish(spec.id, false, (e as Error).message),
    );
  }

  private stop(jobId: string, reason: string): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    job.abort.abort(new Error(reason));
  }

  private finish(jobId: string, ok: boolean, error?: string): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    this.jobs.delete(jobId);
    for (const gid of job.gpus) {
      if (this.gpuJob.get(gid) === jobId) this.gpuJob.delete(gid);
      this.markBusy(gid, false);
    }
    if (job.abort.signal.aborted) return; // cancelled by the scheduler, which already knows
    this.listener?.(jobId, ok, error);
  }

  /**
   * Emulated cards draw load only when told a job runs. Not awaited, and a failure only
   * changes simulated draw: the limit, which is what the reservation rests on, is already set.
   */
  private markBusy(gpuId: string, busy: boolean): void {
    const index = this.config.gpus.find((g) => g.id === gpuId)!.index;
    this.driver.setBusy?.(index, busy).catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const jobId of [...this.jobs.keys()]) this.stop(jobId, 'agent stopping');
  }
}

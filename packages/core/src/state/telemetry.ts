import type { JobRecord, ResultMessage, TelemetryBatch } from '@wattbroker/contracts';
import { DEFAULT_BIAS, confirmed, readingRow } from './device-draws.js';
import { movedFromPlan } from './learned-draws.js';
import type { SiteState } from './site-state.js';

/** Weight of a new reading in a miner's learned draw (an exponential average). */
const BIAS_WEIGHT = 0.3;
/** A settled reading this far from the learned draw is a change, not noise (readings carry ~0.5 %). */
const BIAS_JUMP = 0.03;

/**
 * Reducer: fold a telemetry batch (also the host's heartbeat) into the site. Returns true
 * when a step should run at once rather than at the next tick: a silent host is back, or a
 * device reached its target (an admission may be waiting on it) or left it (the level-
 * triggered loop corrects it and budgets for it now, not in 200 ms).
 * `silentAfterMs` tells whether the host was silent before this batch.
 */
export function foldTelemetry(state: SiteState, t: Pick<TelemetryBatch, 'hostId' | 'hostOverheadW' | 'devices'>, now: number, silentAfterMs: number): boolean {
  const host = state.hosts.get(t.hostId);
  if (!host) return false; // not registered yet: its registration will follow
  let changed = now - host.lastSeen > silentAfterMs;
  host.lastSeen = now;
  host.overheadW = t.hostOverheadW;
  for (const r of t.devices) {
    const d = state.devices.get(r.id);
    if (!d || d.hostId !== t.hostId) continue;
    state.touched.add(d);
    const was = d.desired ? confirmed(d) : undefined;
    if (r.reachable) {
      d.reading = r;
      d.readingRowW = readingRow(d);
      d.readingAt = now;
    } else if (d.reading) d.reading = { ...d.reading, reachable: false };
    if (d.desired && r.reachable) {
      const is = confirmed(d);
      if (is !== was) changed = true;
      if (is) {
        d.resends = 0;
        d.offTargetSince = undefined;
        d.peakW = 0;
      }
    }
    // Any settled reading at a known profile teaches the miner's real draw (also before it
    // has a target: a scheduler that just took over plans on learned draws at once).
    if (d.inv.kind === 'asic' && r.reachable && !r.ramping && !r.sleeping && r.profile !== undefined) learnBias(state, d, d.readingRowW, r.powerW);
    // A GPU running a job the scheduler lost track of (a restart) keeps it: adopt it.
    if (d.inv.kind === 'gpu' && r.reachable && r.jobId && !d.desired) {
      const job = state.jobs.get(r.jobId);
      if (job && r.powerLimitW) d.desired = { kind: 'gpu', powerLimitW: r.powerLimitW, job: jobSpec(job) };
    }
  }
  return changed;
}

/** `row`: the table draw of the profile the reading shows (0: unknown, nothing learned). */
function learnBias(state: SiteState, d: SiteState['deviceList'][number], row: number, powerW: number): void {
  if (!(row > 0)) return;
  const seen = Math.min(2, Math.max(0.5, powerW / row));
  // Meter noise is averaged away; a real change (dust, heat, a firmware update) is taken at once.
  const jump = Math.abs(seen / d.bias - 1) > BIAS_JUMP;
  d.bias = d.bias === DEFAULT_BIAS || jump ? seen : (1 - BIAS_WEIGHT) * d.bias + BIAS_WEIGHT * seen;
  if (movedFromPlan(d)) state.drawsToTake.add(d);
}

/**
 * Reducer: an agent's report on a command. A device counts as off target only once the
 * command carrying its target has been applied (or reported lost): until then a stale
 * reading is no evidence of disobedience.
 */
export function foldResult(state: SiteState, msg: Pick<ResultMessage, 'hostId' | 'commandId' | 'devices' | 'stale'>, now: number): void {
  if (msg.stale) return;
  for (const [id, r] of Object.entries(msg.devices)) {
    const d = state.devices.get(id);
    if (!d || d.hostId !== msg.hostId || d.commandId !== msg.commandId) continue;
    if (r.superseded) continue;
    d.appliedAt = now;
    state.touched.add(d);
  }
}

/** The part of a job its GPUs' desired state carries. */
export function jobSpec(job: JobRecord): { id: string; durationS?: number; workload?: JobRecord['workload'] } {
  return { id: job.id, ...(job.durationS !== undefined ? { durationS: job.durationS } : {}), ...(job.workload ? { workload: job.workload } : {}) };
}

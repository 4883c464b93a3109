import type { JobRecord } from '@wattbroker/contracts';
import type { SiteState } from '../state/site-state.js';

export interface Placement {
  readonly hostId: string;
  readonly gpuIds: readonly string[];
  /** Per-GPU limit: the job's, within the card's range; the card's maximum when not given. */
  readonly limitW: number;
  /** The cards' idle (lowest) limit: what they are budgeted at when no job holds them. */
  readonly idleLimitW: number;
}

/**
 * Where a job's GPUs go: all on one host, on the host with the fewest free GPUs that still
 * has enough (best fit keeps large blocks free for large jobs). `free(hostId)` lists the
 * GPUs a job may take there.
 */
export function place(state: SiteState, job: Pick<JobRecord, 'gpus' | 'powerLimitW'>, free: (hostId: string) => readonly string[]): Placement | undefined {
  let best: { hostId: string; ids: readonly string[] } | undefined;
  for (const h of state.hosts.values()) {
    if (h.kind !== 'gpu') continue;
    const ids = free(h.id);
    if (ids.length < job.gpus) continue;
    if (!best || ids.length < best.ids.length) best = { hostId: h.id, ids };
  }
  if (!best) return undefined;
  const gpuIds = best.ids.slice(0, job.gpus);
  const inv = state.devices.get(gpuIds[0]!)!.inv;
  if (inv.kind !== 'gpu') return undefined;
  const limitW = Math.min(inv.maxLimitW, Math.max(inv.minLimitW, job.powerLimitW ?? inv.maxLimitW));
  return { hostId: best.hostId, gpuIds, limitW, idleLimitW: inv.minLimitW };
}

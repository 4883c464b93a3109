import type { FieldIssue, JobRecord } from '@wattbroker/contracts';
import { itBudgetW } from '../site/site-model.js';
import type { SiteState } from '../state/site-state.js';

/**
 * Jobs that can never run are refused at submission (the API answers 422 naming the field),
 * rather than waiting forever: an unknown class, more GPUs than any one host has, or a
 * reservation that the contract cannot carry even with every miner at its lowest profile and
 * every other GPU idle, or that is above its class's maximum. What can change while the job
 * waits (grid events, jobs running, ASIC floors) is not a reason to refuse.
 */
export function jobRefusal(state: SiteState, job: Pick<JobRecord, 'class' | 'gpus' | 'powerLimitW'>): FieldIssue | undefined {
  const cls = state.priorities.find((c) => c.name === job.class && c.kind === 'gpu');
  if (!cls) {
    const names = state.priorities.filter((c) => c.kind === 'gpu').map((c) => c.name);
    return { field: 'class', message: `not a gpu class of the priority list (${names.join(', ')})` };
  }
  const gpuHosts = [...state.hosts.values()].filter((h) => h.kind === 'gpu');
  if (gpuHosts.length === 0) return { field: 'gpus', message: 'no GPU host is registered' };
  const largest = Math.max(...gpuHosts.map((h) => h.deviceIds.length));
  if (job.gpus > largest) return { field: 'gpus', message: `${job.gpus} GPUs on one host, but the largest GPU host has ${largest}` };

  // The smallest reservation the job could have on any host big enough.
  let needW = Number.POSITIVE_INFINITY;
  let jobW = Number.POSITIVE_INFINITY;
  for (const h of gpuHosts) {
    if (h.deviceIds.length < job.gpus) continue;
    const inv = state.devices.get(h.deviceIds[0]!)?.inv;
    if (inv?.kind !== 'gpu') continue;
    const limitW = Math.min(inv.maxLimitW, Math.max(inv.minLimitW, job.powerLimitW ?? inv.maxLimitW));
    needW = Math.min(needW, job.gpus * (limitW - inv.minLimitW));
    jobW = Math.min(jobW, job.gpus * limitW);
  }
  const field = job.powerLimitW !== undefined ? 'powerLimitW' : 'gpus';
  if (cls.maxKw !== undefined && jobW > cls.maxKw * 1000) {
    return { field, message: `needs ${(jobW / 1000).toFixed(1)} kW, above the ${cls.maxKw} kW maximum of class ${cls.name}` };
  }
  let floorW = 0;
  for (const h of state.hosts.values()) floorW += h.overheadW;
  for (const d of state.deviceList) floorW += d.inv.kind === 'gpu' ? d.inv.minLimitW : d.minRowW;
  const capW = Math.max(0, state.contract.capW - state.contract.marginW);
  const leftW = itBudgetW(state.cooling, capW) - floorW;
  if (Number.isFinite(needW) && needW > leftW) {
    return { field, message: `needs ${(needW / 1000).toFixed(1)} kW more than its GPUs idle at, but the contract leaves at most ${(Math.max(0, leftW) / 1000).toFixed(1)} kW with every miner at its lowest profile` };
  }
  return undefined;
}

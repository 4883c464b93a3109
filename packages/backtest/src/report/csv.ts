import type { PolicyKpis } from '../kpis.js';
import type { SimResult } from '../sim-result.js';

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** RFC 4180: CRLF line ends, quotes where needed. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n') + '\r\n';
}

/** Every number of the KPIs as `key,value` rows with one column per policy (nested keys joined with dots). */
export function kpisCsv(policies: readonly PolicyKpis[]): string {
  const flat = policies.map((p) => flatten({ ...p, gridEvents: undefined }));
  const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  return toCsv(['kpi', ...policies.map((p) => p.policy)], keys.map((k) => [k, ...flat.map((f) => f.get(k))]));
}

function flatten(o: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o)) if (v !== undefined) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, o);
  return out;
}

/** The per-second record of one policy. */
export function seriesCsv(r: SimResult): string {
  const s = r.series;
  const kw = (x: number) => x / 1000;
  const rows: unknown[][] = [];
  for (let i = 0; i < s.n; i++) {
    rows.push([
      i, new Date(r.startEpochMs + i * 1000).toISOString(), kw(s.limitW[i]!), kw(s.limitW[i]! - s.marginW[i]!), kw(s.siteW[i]!), kw(s.asicW[i]!), kw(s.gpuW[i]!),
      kw(s.hostOverheadW[i]!), kw(s.coolingW[i]!), s.hashrateThs[i]!, kw(s.gpuLimitW[i]!), kw(s.minerBudgetW[i]!), kw(s.heldW[i]!),
      s.pricePerMWh[i]!, s.hashprice[i]!, s.busyGpus[i]!, s.queuedJobs[i]!,
    ]);
  }
  return toCsv(['t_s', 'at', 'cap_kw', 'cap_less_margin_kw', 'site_kw', 'asic_kw', 'gpu_kw', 'host_overhead_kw', 'cooling_kw', 'hashrate_ths',
    'gpu_limits_kw', 'miner_budget_kw', 'held_kw', 'price_usd_mwh', 'hashprice_usd_th_day', 'busy_gpus', 'queued_jobs'], rows);
}

export function jobsCsv(r: SimResult): string {
  const iso = (t: number | undefined) => (t === undefined ? '' : new Date(t).toISOString());
  return toCsv(['id', 'class', 'gpus', 'submitted_s', 'state', 'refused', 'queued_at', 'running_at', 'ended_at', 'wait_ms', 'preempted', 'waited_for_gpus', 'gpu_seconds'],
    r.jobs.map((j) => [j.id, j.class, j.gpus, j.submittedS, j.state, j.refused ?? '', iso(j.queuedAt), iso(j.runningAt), iso(j.endedAt),
      j.runningAt !== undefined ? j.runningAt - j.queuedAt : '', j.preempted, j.gpuBound ? 1 : 0, j.gpuSeconds]));
}

export function gridEventsCsv(policies: readonly PolicyKpis[]): string {
  const rows = policies.flatMap((p) => p.gridEvents.map((e) => [p.policy, e.id, e.startsAt, e.endsAt, e.announcedS, e.requestedKw, e.baselineKw, e.meanKw, e.maxKw,
    e.timeToComplianceS, e.secondsAbove, e.deliveredReductionKw, e.requestedReductionKw]));
  return toCsv(['policy', 'event', 'starts_at', 'ends_at', 'announced_s', 'requested_kw', 'baseline_kw', 'mean_kw', 'max_kw', 'time_to_compliance_s', 'seconds_above',
    'delivered_reduction_kw', 'requested_reduction_kw'], rows);
}

import type { BaselineMethod, ComplianceReport, GridEventRecord, ReportPoint, SiteSample } from '@wattbroker/contracts';

/**
 * Metered proof that the site followed a grid event, built only from the recorded site
 * samples (one a second): the baseline before it, the requested level, the metered power at
 * 1 s, 1 min and 15 min resolution, time to compliance, delivered vs requested reduction,
 * and every second above the requested level.
 */
export type { BaselineMethod, ComplianceReport, ReportPoint };

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

function buckets(samples: readonly SiteSample[], widthMs: number): ReportPoint[] {
  const by = new Map<number, number[]>();
  for (const s of samples) {
    const k = Math.floor(s.at / widthMs) * widthMs;
    const list = by.get(k) ?? [];
    list.push(s.siteW);
    by.set(k, list);
  }
  return [...by].sort((a, b) => a[0] - b[0]).map(([k, xs]) => ({ at: new Date(k).toISOString(), siteKw: round(mean(xs)! / 1000) }));
}

export function buildComplianceReport(
  event: GridEventRecord,
  samples: readonly SiteSample[],
  now: number,
  method: BaselineMethod = 'mean-60m',
): ComplianceReport {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const before = sorted.filter((s) => s.at < event.startsAt);
  const window = method === 'mean-15m' ? 15 * 60_000 : 60 * 60_000;
  let base: SiteSample[];
  if (method === 'last-15m-interval') {
    const end = Math.floor(event.startsAt / 900_000) * 900_000;
    base = before.filter((s) => s.at >= end - 900_000 && s.at < end);
  } else base = before.filter((s) => s.at >= event.startsAt - window);
  const during = sorted.filter((s) => s.at >= event.startsAt && s.at < event.endsAt);
  const baselineW = mean(base.map((s) => s.siteW));
  const meanW = mean(during.map((s) => s.siteW));
  const first = during.find((s) => s.siteW <= event.capW);
  const above = during.filter((s) => s.siteW > event.capW);
  return {
    eventId: event.id,
    startsAt: new Date(event.startsAt).toISOString(),
    endsAt: new Date(event.endsAt).toISOString(),
    requestedKw: round(event.capW / 1000),
    baseline: { method, kw: baselineW === null ? null : round(baselineW / 1000), samples: base.length },
    timeToComplianceS: first ? round((first.at - event.startsAt) / 1000) : null,
    meanKw: meanW === null ? null : round(meanW / 1000),
    deliveredReductionKw: baselineW !== null && meanW !== null ? round((baselineW - meanW) / 1000) : null,
    requestedReductionKw: baselineW !== null ? round(Math.max(0, baselineW - event.capW) / 1000) : null,
    secondsAbove: above.length,
    firstAbove: above[0] ? new Date(above[0].at).toISOString() : null,
    samples: during.length,
    complete: now >= event.endsAt,
    series: {
      s1: during.map((s) => ({ at: new Date(s.at).toISOString(), siteKw: round(s.siteW / 1000) })),
      m1: buckets(during, 60_000),
      m15: buckets(during, 900_000),
    },
  };
}

/** The 1-second series as CSV (RFC 4180), one row per sample. */
export function complianceCsv(r: ComplianceReport): string {
  const lines = ['at,site_kw,requested_kw,above'];
  for (const p of r.series.s1) lines.push(`${p.at},${p.siteKw},${r.requestedKw},${p.siteKw > r.requestedKw ? 1 : 0}`);
  return lines.join('\r\n') + '\r\n';
}

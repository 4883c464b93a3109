import type { GridEventRecord, GridEventView, JobRecord, JobView, SiteSample, SiteView } from '@wattbroker/contracts';

const kw = (w: number) => Math.round(w / 10) / 100;
const iso = (t: number) => new Date(t).toISOString();

/** REST views of core records, typed by the response schemas in @wattbroker/contracts. */
export function jobView(j: JobRecord, waitReason?: string): JobView {
  const ts = j.timestamps;
  return {
    id: j.id, state: j.state, class: j.class, gpus: j.gpus,
    ...(j.powerLimitW !== undefined ? { powerLimitW: j.powerLimitW } : {}),
    ...(j.durationS !== undefined ? { durationS: j.durationS } : {}),
    ...(j.hostId ? { hostId: j.hostId, gpuIds: j.gpuIds ?? [], ...(j.limitW !== undefined ? { limitW: j.limitW } : {}) } : {}),
    ...(j.error ? { error: j.error } : {}),
    ...(j.owner !== undefined ? { owner: j.owner } : {}),
    timestamps: Object.fromEntries(Object.entries(ts).map(([k, v]) => [k, iso(v)])),
    ...(ts.running !== undefined && ts.queued !== undefined ? { admissionWaitMs: ts.running - ts.queued } : {}),
    ...(j.state === 'queued' && waitReason ? { waitReason } : {}),
  };
}

export function gridView(e: GridEventRecord): GridEventView {
  return {
    id: e.id, capKw: Math.round(e.capW) / 1000, startsAt: iso(e.startsAt), endsAt: iso(e.endsAt),
    ...(e.shedW !== undefined ? { shedKw: e.shedW / 1000, baselineKw: (e.baselineW ?? 0) / 1000 } : {}),
    ...(e.rampMs !== undefined ? { rampMinutes: e.rampMs / 60_000 } : {}),
    ...(e.program ? { program: e.program } : {}),
    mandatory: e.mandatory, source: e.source,
  };
}

export function siteView(x: SiteSample): SiteView {
  return {
    contract: { capKw: kw(x.contractCapW), marginKw: kw(x.marginW) },
    effectiveCapKw: kw(x.effectiveCapW),
    power: {
      siteKw: kw(x.siteW), asicKw: kw(x.asicW), gpuKw: kw(x.gpuW), overheadKw: kw(x.overheadW),
      meteredKw: x.meteredSiteW == null ? null : kw(x.meteredSiteW), modelledKw: kw(x.modelledSiteW ?? x.siteW),
    },
    hashrateThs: Math.round(x.hashrateThs * 10) / 10,
    worstCaseSiteKw: kw(x.worstCaseSiteW),
    silentHosts: x.silentHosts,
    offTargetDevices: x.offTarget,
    jobs: x.jobs,
  };
}

/**
 * OpenADR 3 events → what the scheduler acts on. Pure: the VEN fetches, this maps.
 *
 * - `IMPORT_CAPACITY_LIMIT` → a grid cap (values in kW unless the payload descriptor says W
 *   or MW);
 * - `SIMPLE` levels 1–3 → a shed of a configured fraction of the baseline (level 0: nothing);
 * - `PRICE` → energy price intervals in $/MWh (a descriptor in $/kWh is scaled).
 */
export interface OadrInterval {
  id: number;
  intervalPeriod?: { start?: string; duration?: string };
  payloads: Array<{ type: string; values: unknown[] }>;
}

export interface OadrEvent {
  id: string;
  programID: string;
  eventName?: string | null;
  intervalPeriod?: { start?: string; duration?: string } | null;
  payloadDescriptors?: Array<{ payloadType?: string; units?: string | null }> | null;
  intervals: OadrInterval[];
}

export interface MappedCap {
  key: string;
  eventId: string;
  intervalId: number;
  startsAt: number;
  endsAt: number;
  capKw?: number;
  shedFraction?: number;
}

export interface MappedPrice {
  start: number;
  end: number;
  pricePerMWh: number;
}

/** ISO 8601 duration (the spec's pattern) → ms. P9999Y means "until further notice". */
export function durationMs(d: string): number {
  const m = /^(-?)P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(d);
  if (!m) throw new RangeError(`duration "${d}" is not ISO 8601`);
  const n = (i: number) => Number(m[i] ?? 0);
  const days = n(4) * (m[5] === 'W' ? 7 : 1);
  const ms = (((n(2) * 365 + n(3) * 30 + days) * 24 + n(6)) * 60 + n(7)) * 60_000 + n(8) * 1000;
  return m[1] === '-' ? -ms : ms;
}

function unitScale(units: string | null | undefined, base: 'kW' | 'MWh'): number {
  const u = (units ?? '').toUpperCase();
  if (base === 'kW') return u === 'W' ? 0.001 : u === 'MW' ? 1000 : 1;
  return u === 'KWH' ? 1000 : u === 'WH' ? 1e6 : 1;
}

export function mapEvent(e: OadrEvent, shedFractions: Record<1 | 2 | 3, number>, now: number): { caps: MappedCap[]; prices: MappedPrice[] } {
  const caps: MappedCap[] = [];
  const prices: MappedPrice[] = [];
  const units = (type: string) => e.payloadDescriptors?.find((p) => p.payloadType === type)?.units;
  let cursor: number | undefined;
  for (const iv of e.intervals) {
    const period = { ...(e.intervalPeriod ?? {}), ...(iv.intervalPeriod ?? {}) };
    const rawStart = iv.intervalPeriod?.start ?? (cursor !== undefined ? undefined : period.start);
    let start = rawStart ? Date.parse(rawStart) : cursor ?? now;
    if (rawStart && rawStart.startsWith('0001-01-01')) start = now; // "now", per the User Guide
    const dur = period.duration ? durationMs(period.duration) : 0;
    const end = dur >= 9999 * 365 * 86_400_000 || dur <= 0 ? start + 365 * 86_400_000 : start + dur;
    cursor = end;
    for (const p of iv.payloads) {
      const v = Number(p.values[0]);
      if (!Number.isFinite(v)) continue;
      const key = `${e.id}:${iv.id}`;
      if (p.type === 'IMPORT_CAPACITY_LIMIT') caps.push({ key, eventId: e.id, intervalId: iv.id, startsAt: start, endsAt: end, capKw: v * unitScale(units(p.type), 'kW') });
      else if (p.type === 'SIMPLE' && v >= 1 && v <= 3) caps.push({ key, eventId: e.id, intervalId: iv.id, startsAt: start, endsAt: end, shedFraction: shedFractions[v as 1 | 2 | 3] });
      else if (p.type === 'PRICE') prices.push({ start, end, pricePerMWh: v * unitScale(units(p.type), 'MWh') });
    }
  }
  return { caps, prices };
}

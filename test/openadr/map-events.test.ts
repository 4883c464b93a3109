import { describe, expect, it } from 'vitest';
import { durationMs, mapEvent } from '@wattbroker/scheduler';

describe('OpenADR event mapping', () => {
  const base = { id: 'e', programID: 'p' };
  it('reads ISO 8601 durations', () => {
    expect(durationMs('PT1H')).toBe(3_600_000);
    expect(durationMs('PT90S')).toBe(90_000);
    expect(durationMs('P1DT2H')).toBe(26 * 3_600_000);
    expect(() => durationMs('1 hour')).toThrow(/not ISO 8601/);
  });

  it('maps capacity limits (with units), SIMPLE levels and prices, interval after interval', () => {
    const now = Date.UTC(2026, 6, 1, 15);
    const r = mapEvent({
      ...base,
      intervalPeriod: { start: '2026-07-01T15:00:00Z', duration: 'PT15M' },
      payloadDescriptors: [{ payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'MW' }, { payloadType: 'PRICE', units: 'KWH' }],
      intervals: [
        { id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [2.5] }, { type: 'PRICE', values: [0.12] }] },
        { id: 1, payloads: [{ type: 'SIMPLE', values: [2] }] },
        { id: 2, payloads: [{ type: 'SIMPLE', values: [0] }] },
      ],
    }, { 1: 0.25, 2: 0.5, 3: 1 }, now);
    expect(r.caps).toEqual([
      { key: 'e:0', eventId: 'e', intervalId: 0, startsAt: now, endsAt: now + 900_000, capKw: 2500 },
      { key: 'e:1', eventId: 'e', intervalId: 1, startsAt: now + 900_000, endsAt: now + 1_800_000, shedFraction: 0.5 },
    ]);
    expect(r.prices).toEqual([{ start: now, end: now + 900_000, pricePerMWh: 120 }]);
  });

  it('reads a start of 0001-01-01 as now', () => {
    const now = 1_800_000_000_000;
    const r = mapEvent({ ...base, intervalPeriod: { start: '0001-01-01T00:00:00Z', duration: 'PT1H' }, intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [100] }] }] }, { 1: 0.1, 2: 0.2, 3: 0.3 }, now);
    expect(r.caps[0]).toMatchObject({ startsAt: now, endsAt: now + 3_600_000, capKw: 100 });
  });
});

import { z } from 'zod';

/**
 * `GET /v1/kpis?window=1h`: the backtest's KPIs, live, over the recorded site samples of the
 * window (formulas: packages/core/src/read-models/kpis.ts, docs/backtest.md).
 */
const nullableNumber = z.number().nullable();

export const KpisQuerySchema = z.strictObject({
  /** A duration: 15m, 1h, 90m, 24h (default 1h; at most 24h). */
  window: z.string().regex(/^\d+(\.\d+)?[smh]$/, 'a duration such as 15m, 1h or 24h').default('1h')
    .transform((w) => Number(w.slice(0, -1)) * ({ s: 1000, m: 60_000, h: 3_600_000 } as const)[w.slice(-1) as 's' | 'm' | 'h'])
    .refine((ms) => ms >= 1000 && ms <= 24 * 3_600_000, 'between 1s and 24h'),
});

export const ClassKpisViewSchema = z.object({
  submitted: z.number().int(), started: z.number().int(), done: z.number().int(), waiting: z.number().int(),
  waitP50Ms: nullableNumber, waitP95Ms: nullableNumber, waitP99Ms: nullableNumber, waitMaxMs: nullableNumber,
});

export const KpisViewSchema = z.object({
  window: z.object({ from: z.iso.datetime(), to: z.iso.datetime(), seconds: z.number(), samples: z.number().int() }),
  energyMWh: z.number(),
  /** ∫ site ÷ ∫ (cap in force − margin), % (null without samples). */
  contractEnergyUsedPct: nullableNumber,
  secondsOverCap: z.number(),
  kWhOverCap: z.number(),
  maxDemand15minKw: z.number(),
  demandIntervalsOverCap: z.number().int(),
  hashratePhDays: z.number(),
  /** With the energy price and hashprice in force now, applied to the whole window (samples do not record prices). */
  energyCostUsd: nullableNumber,
  miningRevenueUsd: nullableNumber,
  miningMarginUsdPerMWh: nullableNumber,
  /** Jobs submitted in the window, per class. */
  admissionWait: z.record(z.string(), ClassKpisViewSchema),
  prices: z.object({ pricePerMWh: nullableNumber, hashpricePerThDay: nullableNumber }),
  notes: z.array(z.string()),
});

export type KpisView = z.infer<typeof KpisViewSchema>;

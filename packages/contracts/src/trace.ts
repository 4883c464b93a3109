import { z } from 'zod';

/**
 * A backtest trace (`wattbroker backtest --trace FILE`): what happened to a site over a
 * period, replayed against the control core on a virtual clock. Every time is in seconds
 * from `start` (`at`); grid events may instead give ISO `startsAt`/`endsAt`. Objects are
 * strict, so a misspelt key is an error that names it, never a silently ignored setting.
 */
const seconds = z.number().finite().nonnegative();

export const TraceJobSchema = z.strictObject({
  /** Submission time, s from the trace start. */
  at: seconds,
  /** A gpu class of the priority list in force (critical, standard, batch by default). */
  class: z.string().min(1).max(64),
  gpus: z.number().int().positive().max(64),
  durationS: z.number().finite().positive(),
  /** Per-GPU limit asked for (W); absent = the card's maximum. */
  powerLimitW: z.number().finite().positive().optional(),
  id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only').optional(),
});

/**
 * A grid event: a cap (`capKw`) or a shed (`shedKw`, from the mean site power of the hour
 * before, as `POST /v1/grid/events` does), from `at` (or `startsAt`) for `durationS` (or until
 * `endsAt`), announced `noticeS` before its start (0: it arrives as it starts).
 */
export const TraceGridEventSchema = z.strictObject({
  at: seconds.optional(),
  startsAt: z.iso.datetime({ offset: true }).optional(),
  durationS: z.number().finite().positive().optional(),
  endsAt: z.iso.datetime({ offset: true }).optional(),
  capKw: z.number().finite().nonnegative().optional(),
  shedKw: z.number().finite().positive().optional(),
  noticeS: seconds.default(0),
  rampMinutes: z.number().finite().nonnegative().optional(),
  mandatory: z.boolean().default(true),
  program: z.string().min(1).max(64).optional(),
  id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only').optional(),
});

export const TracePriceSchema = z.strictObject({ at: seconds, pricePerMWh: z.number().finite().min(-10_000).max(100_000) });
export const TraceHashpriceSchema = z.strictObject({ at: seconds, usdPerThDay: z.number().finite().positive().max(100) });

export const TraceSchema = z
  .strictObject({
    name: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    /** What generated it (`wattbroker trace generate …`), for the record. */
    generator: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    start: z.iso.datetime({ offset: true }),
    durationS: z.number().finite().positive().max(31 * 86_400),
    jobs: z.array(TraceJobSchema).max(2_000_000).default([]),
    gridEvents: z.array(TraceGridEventSchema).max(10_000).default([]),
    prices: z.array(TracePriceSchema).max(1_000_000).default([]),
    hashprice: z.array(TraceHashpriceSchema).max(1_000_000).default([]),
  })
  .superRefine((t, ctx) => {
    const start = Date.parse(t.start);
    const within = (path: Array<string | number>, s: number | undefined) => {
      if (s !== undefined && s > t.durationS) ctx.addIssue({ code: 'custom', path, message: `${s} s is after the trace's end (durationS ${t.durationS})` });
    };
    t.jobs.forEach((j, i) => within(['jobs', i, 'at'], j.at));
    const ids = new Map<string, number>();
    t.jobs.forEach((j, i) => {
      if (j.id === undefined) return;
      const first = ids.get(j.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['jobs', i, 'id'], message: `duplicate id "${j.id}" (also jobs[${first}])` });
      else ids.set(j.id, i);
    });
    t.gridEvents.forEach((g, i) => {
      const at = (p: string) => ['gridEvents', i, p];
      if ((g.capKw === undefined) === (g.shedKw === undefined)) ctx.addIssue({ code: 'custom', path: at('capKw'), message: 'give exactly one of capKw or shedKw' });
      if ((g.at === undefined) === (g.startsAt === undefined)) ctx.addIssue({ code: 'custom', path: at('at'), message: 'give exactly one of at or startsAt' });
      if ((g.durationS === undefined) === (g.endsAt === undefined)) ctx.addIssue({ code: 'custom', path: at('durationS'), message: 'give exactly one of durationS or endsAt' });
      const s = g.at ?? (g.startsAt !== undefined ? (Date.parse(g.startsAt) - start) / 1000 : undefined);
      const e = g.durationS !== undefined && s !== undefined ? s + g.durationS : g.endsAt !== undefined ? (Date.parse(g.endsAt) - start) / 1000 : undefined;
      if (s !== undefined && s < 0) ctx.addIssue({ code: 'custom', path: at('startsAt'), message: 'before the trace\'s start' });
      if (s !== undefined && s > t.durationS) ctx.addIssue({ code: 'custom', path: at(g.at !== undefined ? 'at' : 'startsAt'), message: `after the trace's end (durationS ${t.durationS})` });
      if (s !== undefined && e !== undefined && e <= s) ctx.addIssue({ code: 'custom', path: at('endsAt'), message: 'must be after the start' });
    });
    const ascending = (name: 'prices' | 'hashprice') => t[name].forEach((p, i) => {
      within([name, i, 'at'], p.at);
      const prev = t[name][i - 1];
      if (prev && p.at <= prev.at) ctx.addIssue({ code: 'custom', path: [name, i, 'at'], message: `must be after ${name}[${i - 1}].at (${prev.at}): times ascend` });
    });
    ascending('prices');
    ascending('hashprice');
  });

export type Trace = z.infer<typeof TraceSchema>;
export type TraceJob = z.infer<typeof TraceJobSchema>;
export type TraceGridEvent = z.infer<typeof TraceGridEventSchema>;

import { randomBytes } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { RefusedError, type BaselineMethod, type ComplianceReport, type GridEventBody, type GridEventRecord, type GridEventSource } from '@wattbroker/contracts';
import { buildComplianceReport } from '@wattbroker/core';
import { audited, type AuditStamp } from '../audit.js';
import type { Arming } from '../loops/arming.js';
import type { UseCaseDeps } from './deps.js';
import { OneAtATime } from './one-at-a-time.js';

/** Longest event (its run so far) a compliance report covers. */
export const MAX_REPORT_MS = 12 * 3_600_000;
/** Reports waiting their turn beyond which a request is turned away (503). */
const REPORT_QUEUE = 4;

/** What a grid event asks: a cap outright, or a shed (kW, or a fraction of the baseline) from the baseline. */
export type GridAsk = { capW: number } | { shedW: number } | { shedFraction: number };

/** The one formula from a shed request to the cap it implies. */
export function capForShed(baselineW: number, ask: GridAsk): Pick<GridEventRecord, 'capW' | 'shedW' | 'baselineW'> {
  if ('capW' in ask) return { capW: ask.capW };
  const shedW = 'shedW' in ask ? ask.shedW : baselineW * ask.shedFraction;
  return { capW: Math.max(0, baselineW - shedW), shedW: Math.round(shedW), baselineW: Math.round(baselineW) };
}

/**
 * Grid events from every source (REST, cron schedules, OpenADR): stored, handed to the core,
 * armed at the agents when mandatory, disarmed when deleted, and reported on from the samples.
 */
export class GridEvents {
  private readonly reports = new OneAtATime(REPORT_QUEUE);

  constructor(private readonly d: UseCaseDeps & { readonly arming: Arming }) {}

  /** Mean site power over the hour before `at`, from the recorded samples (or now). */
  async baselineW(at: number): Promise<number> {
    const xs = (await this.d.store.samples(Math.max(0, at - 3_600_000), at)).map((s) => s.siteW);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : this.d.controller.sample(this.d.clock.now()).siteW;
  }

  async add(body: GridEventBody, source: GridEventSource = 'rest', stamp?: AuditStamp): Promise<GridEventRecord> {
    const now = this.d.clock.now();
    const id = `grid-${now.toString(36)}-${randomBytes(3).toString('hex')}`;
    return this.upsert(id, {
      ask: body.capKw !== undefined ? { capW: body.capKw * 1000 } : { shedW: body.shedKw! * 1000 },
      startsAt: Date.parse(body.startsAt), endsAt: Date.parse(body.endsAt), mandatory: body.mandatory, source,
      ...(body.rampMinutes !== undefined ? { rampMs: body.rampMinutes * 60_000 } : {}),
      ...(body.program !== undefined ? { program: body.program } : {}),
    }, stamp);
  }

  /** Create or replace an event (OpenADR events keep their VTN-derived id). */
  async upsert(id: string, e: { ask: GridAsk; startsAt: number; endsAt: number; mandatory: boolean; source: GridEventSource; rampMs?: number; program?: string }, stamp?: AuditStamp): Promise<GridEventRecord> {
    const baseline = 'capW' in e.ask ? 0 : await this.baselineW(Math.min(this.d.clock.now(), e.startsAt));
    const record: GridEventRecord = {
      id, ...capForShed(baseline, e.ask), startsAt: e.startsAt, endsAt: e.endsAt, mandatory: e.mandatory, source: e.source,
      ...(e.rampMs !== undefined ? { rampMs: e.rampMs } : {}), ...(e.program !== undefined ? { program: e.program } : {}),
    };
    const before = stamp ? (await this.d.store.gridEvents()).find((x) => x.id === id) : undefined;
    await this.d.store.saveGridEvent(record, audited(stamp, before, record, this.d.clock.now()));
    await this.reload();
    return record;
  }

  async remove(id: string, stamp?: AuditStamp): Promise<boolean> {
    const event = (await this.d.store.gridEvents()).find((e) => e.id === id);
    const ok = await this.d.store.deleteGridEvent(id, audited(stamp, event, null, this.d.clock.now()));
    if (ok && event?.mandatory && event.endsAt > this.d.clock.now()) await this.d.arming.disarm(id);
    await this.reload();
    return ok;
  }

  list(): Promise<GridEventRecord[]> {
    return this.d.store.gridEvents();
  }

  /** The stored events into the core (events may come from any scheduler process). */
  async reload(): Promise<void> {
    this.d.controller.setGridEvents(await this.d.store.gridEvents());
    this.d.loop.tick();
  }

  /**
   * Compliance report of a grid event, from the recorded site samples. Bounded and kept off
   * the control loop's back: an event of at most MAX_REPORT_MS is reported (with the hour of
   * baseline before it, ≤ 47,000 samples), the samples are read in pages, and one report is
   * built at a time (more wait their turn, up to REPORT_QUEUE, then 503).
   */
  async report(id: string, method: BaselineMethod): Promise<ComplianceReport | undefined> {
    const event = (await this.d.store.gridEvents()).find((e) => e.id === id);
    if (!event) return undefined;
    const spanMs = Math.min(event.endsAt, this.d.clock.now()) - event.startsAt;
    if (spanMs > MAX_REPORT_MS) {
      throw new RefusedError('Report too long', { field: 'id', message: `the event has run ${(spanMs / 3_600_000).toFixed(1)} h; a report covers at most ${MAX_REPORT_MS / 3_600_000} h` });
    }
    return this.reports.run(async () => {
      const now = this.d.clock.now();
      const samples = await this.d.store.samples(event.startsAt - 61 * 60_000, Math.min(event.endsAt, now) + 2000);
      await setImmediate();
      return buildComplianceReport(event, samples, now, method);
    });
  }
}

import type { Logger } from 'pino';
import type { SiteSample } from '@wattbroker/contracts';
import { mapEvent, type MappedCap, type MappedPrice, type OadrEvent } from './map-events.js';

export interface VenConfig {
  readonly vtnUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Program names to follow. */
  readonly programs: readonly string[];
  /** @defaultValue 10000 */
  readonly pollMs?: number;
  /** No answer from the VTN for this long triggers the fail-safe cap. @defaultValue 240000 */
  readonly silentAfterMs?: number;
  /** Site cap (kW) held while the VTN is silent (a real contract: curtail after 4 min). */
  readonly failSafeCapKw?: number;
  /** Shed fraction of the baseline for SIMPLE levels 1–3. */
  readonly shedFractions?: Record<1 | 2 | 3, number>;
  /** Our name in reports. */
  readonly clientName?: string;
}

export interface VenActions {
  upsertCap(id: string, c: { capKw?: number; shedFraction?: number; startsAt: number; endsAt: number; program: string }): Promise<void>;
  removeCap(id: string): Promise<void>;
  setPrices(intervals: MappedPrice[]): Promise<void>;
  samples(from: number, to: number): Promise<SiteSample[]>;
  /** Event intervals already reported (survives restarts). */
  reported(key: string): Promise<boolean>;
  markReported(key: string): Promise<void>;
}

const FAILSAFE_ID = 'oadr-failsafe';

/**
 * An OpenADR 3.1 VEN: OAuth2 client credentials, polls the VTN's programs and events,
 * turns them into grid caps and prices, posts USAGE/DEMAND reports for event intervals that
 * have ended, and falls back to a fail-safe cap when the VTN stays silent.
 */
export class OpenAdrVen {
  private token: { value: string; until: number } | undefined;
  private lastOk = Date.now();
  private failSafe = false;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private known = new Map<string, MappedCap & { program: string }>();
  readonly base: string;

  constructor(
    private readonly cfg: VenConfig,
    private readonly act: VenActions,
    private readonly log: Logger,
  ) {
    this.base = cfg.vtnUrl.replace(/\/+$/, '');
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.cfg.pollMs ?? 10_000);
    void this.poll();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round: fetch, map, apply, report; or count the silence. */
  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.round();
      this.lastOk = Date.now();
      if (this.failSafe) {
        this.failSafe = false;
        await this.act.removeCap(FAILSAFE_ID);
        this.log.warn('VTN answers again: fail-safe cap lifted');
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'VTN poll failed');
      const silentFor = Date.now() - this.lastOk;
      if (!this.failSafe && silentFor >= (this.cfg.silentAfterMs ?? 240_000) && this.cfg.failSafeCapKw !== undefined) {
        this.failSafe = true;
        await this.act.upsertCap(FAILSAFE_ID, { capKw: this.cfg.failSafeCapKw, startsAt: Date.now(), endsAt: Date.now() + 365 * 86_400_000, program: 'openadr-failsafe' });
        this.log.error({ silentForMs: silentFor, capKw: this.cfg.failSafeCapKw }, 'VTN silent: fail-safe cap in force');
      }
    } finally {
      this.busy = false;
    }
  }

  private async round(): Promise<void> {
    const programs = (await this.get('/programs')) as Array<{ id: string; programName: string }>;
    const followed = programs.filter((p) => this.cfg.programs.includes(p.programName));
    const now = Date.now();
    const seen = new Set<string>();
    const prices: MappedPrice[] = [];
    for (const p of followed) {
      const events = (await this.get(`/events?programID=${encodeURIComponent(p.id)}`)) as OadrEvent[];
      for (const e of events) {
        const mapped = mapEvent(e, this.cfg.shedFractions ?? { 1: 0.25, 2: 0.5, 3: 1 }, now);
        prices.push(...mapped.prices);
        for (const c of mapped.caps) {
          const id = `oadr-${c.key.replace(':', '-')}`;
          seen.add(id);
          const prev = this.known.get(id);
          if (!prev || prev.capKw !== c.capKw || prev.shedFraction !== c.shedFraction || prev.startsAt !== c.startsAt || prev.endsAt !== c.endsAt) {
            await this.act.upsertCap(id, { ...c, program: p.programName });
            this.known.set(id, { ...c, program: p.programName });
          }
          if (c.endsAt <= now && !(await this.act.reported(c.key))) await this.report(c);
        }
      }
    }
    for (const id of [...this.known.keys()]) {
      if (!seen.has(id)) {
        await this.act.removeCap(id); // withdrawn by the VTN
        this.known.delete(id);
      }
    }
    if (prices.length) await this.act.setPrices(prices.sort((a, b) => a.start - b.start));
  }

  /** USAGE (kWh) and DEMAND (mean kW) of the site over one event interval, from the samples. */
  private async report(c: MappedCap): Promise<void> {
    const samples = await this.act.samples(c.startsAt, c.endsAt);
    if (samples.length === 0) return;
    const meanKw = samples.reduce((s, x) => s + x.siteW, 0) / samples.length / 1000;
    const hours = (c.endsAt - c.startsAt) / 3_600_000;
    const seconds = Math.round((c.endsAt - c.startsAt) / 1000);
    const body = {
      eventID: c.eventId,
      clientName: this.cfg.clientName ?? 'wattbroker',
      reportName: `${c.eventId}-interval-${c.intervalId}`,
      payloadDescriptors: [
        { objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'USAGE', readingType: 'DIRECT_READ', units: 'KWH' },
        { objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'DEMAND', readingType: 'AVERAGE', units: 'KW' },
      ],
      resources: [{
        resourceName: 'site',
        intervals: [{
          id: c.intervalId,
          intervalPeriod: { start: new Date(c.startsAt).toISOString(), duration: `PT${seconds}S` },
          payloads: [
            { type: 'USAGE', values: [Math.round(meanKw * hours * 1000) / 1000] },
            { type: 'DEMAND', values: [Math.round(meanKw * 1000) / 1000] },
          ],
        }],
      }],
    };
    await this.request('POST', '/reports', body);
    await this.act.markReported(c.key);
    this.log.info({ eventId: c.eventId, interval: c.intervalId, meanKw }, 'OpenADR report posted');
  }

  private async bearer(): Promise<string> {
    if (this.token && Date.now() < this.token.until) return this.token.value;
    const info = (await (await this.fetchOk(`${this.base}/auth/server`, { method: 'GET' })).json()) as { tokenURL: string };
    const tokenUrl = new URL(info.tokenURL, `${this.base}/`).toString();
    const res = await this.fetchOk(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.cfg.clientId, client_secret: this.cfg.clientSecret }).toString(),
    });
    const t = (await res.json()) as { access_token: string; expires_in?: number };
    this.token = { value: t.access_token, until: Date.now() + Math.max(30, (t.expires_in ?? 3600) - 30) * 1000 };
    return t.access_token;
  }

  private async get(path: string): Promise<unknown> {
    return this.request('GET', path);
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const token = await this.bearer();
    const res = await this.fetchOk(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status === 401) this.token = undefined;
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }

  private async fetchOk(url: string, init: RequestInit): Promise<Response> {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) {
      if (res.status === 401) this.token = undefined;
      throw new Error(`${init.method} ${url}: ${res.status} ${res.statusText}`);
    }
    return res;
  }
}

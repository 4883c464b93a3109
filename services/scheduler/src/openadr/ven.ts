import type { Logger } from 'pino';
import { InputError, type SiteSample } from '@wattbroker/contracts';
import { mapEvent, type MappedCap, type MappedPrice, type OadrEvent } from './map-events.js';
import { OadrSpecValidator, type OadrSchema } from './spec-validator.js';

/** Longest VTN reply read (a page of events with their intervals is a few hundred kB at most). */
const MAX_VTN_REPLY_BYTES = 4 * 1024 * 1024;

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
  /**
   * The token endpoint, when it is not on the VTN's own origin. Without it the VEN sends its
   * client secret only to a `tokenURL` on the VTN's origin (a VTN cannot send it elsewhere).
   */
  readonly tokenUrl?: string;
  /** Accept `http://` VTN and token URLs (tests on loopback only); otherwise only `https://`. @defaultValue false */
  readonly allowHttp?: boolean;
}

/** Why a VTN or token URL may not be used, or undefined. */
export function venUrlProblem(url: string, allowHttp: boolean): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:') return allowHttp ? undefined : 'must be https:// (http is allowed only with allowHttp, for tests)';
  return 'must be https://';
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
  private readonly spec = new OadrSpecValidator();
  readonly base: string;

  constructor(
    private readonly cfg: VenConfig,
    private readonly act: VenActions,
    private readonly log: Logger,
  ) {
    this.base = cfg.vtnUrl.replace(/\/+$/, '');
    for (const [field, url] of [['vtnUrl', cfg.vtnUrl], ['tokenUrl', cfg.tokenUrl]] as const) {
      const problem = url === undefined ? undefined : venUrlProblem(url, cfg.allowHttp ?? false);
      if (problem) throw new InputError('OpenADR VEN', [{ field, message: problem }]);
    }
  }

  /** A VTN object used only once it validates against the 3.1.0 schema; the error names the field. */
  private valid<T>(schema: OadrSchema, data: unknown, root: string, array = false): T {
    const issues = this.spec.check(schema, data, root, array);
    if (issues.length) throw new InputError('OpenADR VTN reply', issues);
    return data as T;
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
    const programs = this.valid<Array<{ id: string; programName: string }>>('program', await this.get('/programs'), 'programs', true);
    const followed = programs.filter((p) => this.cfg.programs.includes(p.programName));
    const now = Date.now();
    const seen = new Set<string>();
    const prices: MappedPrice[] = [];
    for (const p of followed) {
      const events = this.valid<OadrEvent[]>('event', await this.get(`/events?programID=${encodeURIComponent(p.id)}`), 'events', true);
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
    const tokenUrl = this.cfg.tokenUrl ?? (await this.askTokenUrl());
    const res = await this.fetchOk(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.cfg.clientId, client_secret: this.cfg.clientSecret }).toString(),
    });
    const t = this.valid<{ access_token: string; expires_in?: number }>('clientCredentialResponse', parseJson(await readCapped(res), 'token'), 'token');
    this.token = { value: t.access_token, until: Date.now() + Math.max(30, (t.expires_in ?? 3600) - 30) * 1000 };
    return t.access_token;
  }

  /**
   * The VTN's token endpoint, from `/auth/server`: the client secret goes there, so it must
   * be on the VTN's own origin (a configured `tokenUrl` is the way to trust another one).
   */
  private async askTokenUrl(): Promise<string> {
    const res = await this.fetchOk(`${this.base}/auth/server`, { method: 'GET' });
    const info = this.valid<{ tokenURL: string }>('authServerInfo', parseJson(await readCapped(res), 'authServerInfo'), 'authServerInfo');
    const url = new URL(info.tokenURL, `${this.base}/`);
    if (url.origin !== new URL(this.base).origin) {
      throw new InputError('OpenADR VTN reply', [{ field: 'authServerInfo.tokenURL', message: `origin ${url.origin} is not the VTN's (${new URL(this.base).origin}); configure openadr.tokenUrl to trust it` }]);
    }
    const problem = venUrlProblem(url.toString(), this.cfg.allowHttp ?? false);
    if (problem) throw new InputError('OpenADR VTN reply', [{ field: 'authServerInfo.tokenURL', message: problem }]);
    return url.toString();
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
    const text = await readCapped(res);
    return text ? parseJson(text, path) : null;
  }

  private async fetchOk(url: string, init: RequestInit): Promise<Response> {
    // No redirects: a VTN must not steer the VEN (and its client secret) to another address.
    const res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(10_000) });
    if (!res.ok) {
      if (res.status === 401) this.token = undefined;
      throw new Error(`${init.method} ${url}: ${res.status} ${res.statusText}`);
    }
    return res;
  }
}

/** A VTN reply's text, refused past MAX_VTN_REPLY_BYTES (read no further). */
async function readCapped(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_VTN_REPLY_BYTES) {
    await res.body?.cancel();
    throw new Error(`VTN reply of ${declared} bytes exceeds ${MAX_VTN_REPLY_BYTES}`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_VTN_REPLY_BYTES) {
      await res.body.cancel().catch(() => undefined);
      throw new Error(`VTN reply exceeds ${MAX_VTN_REPLY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError('OpenADR VTN reply', [{ field: what, message: 'not JSON' }]);
  }
}

import type { GpuDriver, GpuReading } from './gpu-driver.js';

/**
 * Why a call to the emulated GPUs failed: `unreachable` (nothing listens, or the connection
 * broke), `timeout`, `refused` (the emulator understood and said no: a limit out of range, an
 * unknown host or card; `field` names the input), `protocol` (an answer we cannot read).
 */
export type EmulatedGpuErrorKind = 'unreachable' | 'timeout' | 'refused' | 'protocol';

export class EmulatedGpuError extends Error {
  constructor(
    readonly kind: EmulatedGpuErrorKind,
    message: string,
    readonly url: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(`emulated GPUs at ${url}: ${message}`, options);
    this.name = 'EmulatedGpuError';
  }
}

export interface EmulatedGpuDriverOptions {
  /** Base URL of the site emulator's HTTP server (its `/truth` port), e.g. `http://127.0.0.1:14027`. */
  readonly url: string;
  /** The emulated GPU host (`miner-sim --gpu-host ID:…`). */
  readonly hostId: string;
  /** Per request. @defaultValue 3000 */
  readonly timeoutMs?: number;
}

const READING_FIELDS = ['index', 'powerW', 'powerLimitW', 'minLimitW', 'maxLimitW', 'utilizationPct'] as const;

/**
 * The GPUs of one emulated server in `miner-sim`, over its HTTP API: the same reads and
 * limits as `nvidia-smi`, plus the busy flag that stands for a job's load on the card.
 */
export class EmulatedGpuDriver implements GpuDriver {
  private readonly base: string;
  private readonly timeoutMs: number;
  /** Busy flags go out in order per card, so a short job's "idle" never overtakes its "busy". */
  private readonly busyChain = new Map<number, Promise<void>>();

  constructor(readonly opts: EmulatedGpuDriverOptions) {
    this.base = `${opts.url.replace(/\/+$/, '')}/gpus/${encodeURIComponent(opts.hostId)}`;
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  async read(): Promise<GpuReading[]> {
    const body = await this.request('GET', this.base);
    const gpus = (body as { gpus?: unknown }).gpus;
    if (!Array.isArray(gpus)) throw new EmulatedGpuError('protocol', 'the answer has no "gpus" list', this.base);
    return gpus.map((g: Record<string, unknown>, i) => {
      for (const f of READING_FIELDS) {
        if (typeof g[f] !== 'number') throw new EmulatedGpuError('protocol', `gpus[${i}].${f} is not a number`, this.base);
      }
      return {
        index: g.index as number, name: String(g.name ?? ''), powerW: g.powerW as number, powerLimitW: g.powerLimitW as number,
        minLimitW: g.minLimitW as number, maxLimitW: g.maxLimitW as number, utilizationPct: g.utilizationPct as number,
      };
    });
  }

  async setPowerLimit(index: number, watts: number): Promise<void> {
    await this.request('PUT', `${this.base}/${index}/power-limit`, { watts });
  }

  setBusy(index: number, busy: boolean): Promise<void> {
    const next = (this.busyChain.get(index) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.request('PUT', `${this.base}/${index}/busy`, { busy }))
      .then(() => undefined);
    this.busyChain.set(index, next);
    return next;
  }

  private async request(method: 'GET' | 'PUT', url: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, {
        method, signal: AbortSignal.timeout(this.timeoutMs),
        ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new EmulatedGpuError('timeout', `${method} got no answer within ${this.timeoutMs} ms`, url, undefined, { cause: e });
      throw new EmulatedGpuError('unreachable', `${method}: ${err.cause?.code ?? err.message}`, url, undefined, { cause: e });
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new EmulatedGpuError('protocol', `${method} answered ${res.status} with a body that is not JSON`, url);
    }
    if (!res.ok) {
      const p = parsed as { detail?: unknown; field?: unknown };
      const detail = typeof p.detail === 'string' ? p.detail : `HTTP ${res.status}`;
      throw new EmulatedGpuError(res.status >= 500 ? 'protocol' : 'refused', detail, url, typeof p.field === 'string' ? p.field : undefined);
    }
    return parsed;
  }
}

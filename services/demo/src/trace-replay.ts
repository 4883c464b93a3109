import { readFileSync } from 'node:fs';
import { KpisViewSchema, TraceSchema, parseInput, type KpisView, type Trace } from '@wattbroker/contracts';

/**
 * `pnpm demo --trace FILE`: instead of the random job generator, replay a backtest trace
 * against the live site — its jobs, grid events (announced `noticeS` ahead) and prices, at
 * the trace's times in wall seconds from the replay's start — and measure what a backtest
 * measures: the contract energy used (from the emulator's true site power, polled every
 * second) and the admission waits (`GET /v1/kpis`), for comparing the two (docs/backtest.md).
 */
export interface ReplaySummary {
  readonly trace: string;
  readonly durationS: number;
  /** Mean true site power ÷ (cap − margin), % (the emulator's truth, one poll a second). */
  readonly contractEnergyUsedPct: number;
  readonly truthSamples: number;
  readonly meanSiteKw: number;
  readonly capLessMarginKw: number;
  readonly jobsSubmitted: number;
  readonly jobsRefused: number;
  /** The scheduler's own KPIs over the replay (admission waits per class among them). */
  readonly kpis: KpisView | undefined;
}

export function readTrace(path: string): Trace {
  return parseInput(TraceSchema, JSON.parse(readFileSync(path, 'utf8')), path);
}

export function startReplay(o: {
  trace: Trace; name: string; api: string; truthUrl: string; capKw: number; marginKw: number;
  operator: Record<string, string>; tenant: Record<string, string>; log: (s: string) => void;
}): { done: Promise<ReplaySummary>; stop(): void } {
  const t0 = Date.now();
  const timers: NodeJS.Timeout[] = [];
  const at = (s: number, fn: () => Promise<void> | void) => timers.push(setTimeout(() => void Promise.resolve().then(fn).catch(() => undefined), Math.max(0, s * 1000)));
  const tr = o.trace;
  let submitted = 0;
  let refused = 0;
  for (const j of tr.jobs) {
    at(j.at, async () => {
      const r = await fetch(`${o.api}/v1/jobs`, {
        method: 'POST', headers: o.tenant,
        body: JSON.stringify({ class: j.class, gpus: j.gpus, durationS: j.durationS, ...(j.powerLimitW !== undefined ? { powerLimitW: j.powerLimitW } : {}) }),
      });
      submitted++;
      if (r.status === 422) refused++;
      await r.arrayBuffer();
    });
  }
  for (const g of tr.gridEvents) {
    const startS = g.at ?? (Date.parse(g.startsAt!) - Date.parse(tr.start)) / 1000;
    const endS = g.durationS !== undefined ? startS + g.durationS : (Date.parse(g.endsAt!) - Date.parse(tr.start)) / 1000;
    at(Math.max(0, startS - g.noticeS), async () => {
      const body = {
        ...(g.capKw !== undefined ? { capKw: g.capKw } : { shedKw: g.shedKw }), startsAt: new Date(t0 + startS * 1000).toISOString(), endsAt: new Date(t0 + endS * 1000).toISOString(),
        mandatory: g.mandatory, ...(g.program ? { program: g.program } : {}), ...(g.rampMinutes !== undefined ? { rampMinutes: g.rampMinutes } : {}),
      };
      const r = await fetch(`${o.api}/v1/grid/events`, { method: 'POST', headers: o.operator, body: JSON.stringify(body) });
      o.log(`demo: trace grid event ${g.id ?? ''} posted (${r.status})`);
    });
  }
  if (tr.prices.length) {
    // Market prices as intervals (strike hysteresis applies), as the backtest feeds them.
    const intervals = tr.prices.map((p, i) => ({
      start: new Date(t0 + p.at * 1000).toISOString(), end: new Date(t0 + (tr.prices[i + 1]?.at ?? tr.durationS) * 1000).toISOString(), pricePerMWh: p.pricePerMWh,
    }));
    void fetch(`${o.api}/v1/prices/energy`, { method: 'PUT', headers: o.operator, body: JSON.stringify({ intervals }) }).catch(() => undefined);
  }
  for (const h of tr.hashprice) at(h.at, async () => void (await fetch(`${o.api}/v1/prices/hash`, { method: 'PUT', headers: o.operator, body: JSON.stringify({ usdPerThDay: h.usdPerThDay }) })));

  let sum = 0;
  let n = 0;
  const poll = setInterval(async () => {
    try {
      const truth = (await (await fetch(`${o.truthUrl}/truth?perMiner=false`)).json()) as { site?: { sitePowerW?: number } };
      const w = truth.site?.sitePowerW;
      if (typeof w === 'number') {
        sum += w;
        n++;
      }
    } catch {
      // the emulator is busy; the next poll counts
    }
  }, 1000);
  let finish!: (s: ReplaySummary) => void;
  const done = new Promise<ReplaySummary>((resolve) => {
    finish = resolve;
  });
  at(tr.durationS, async () => {
    clearInterval(poll);
    let kpis: KpisView | undefined;
    try {
      const r = await fetch(`${o.api}/v1/kpis?window=${Math.ceil(tr.durationS)}s`, { headers: o.operator });
      kpis = KpisViewSchema.parse(await r.json());
    } catch {
      kpis = undefined;
    }
    const meanW = n ? sum / n : 0;
    const capLessMarginKw = o.capKw - o.marginKw;
    finish({
      trace: o.name, durationS: tr.durationS, contractEnergyUsedPct: Math.round((meanW / 1000 / capLessMarginKw) * 100_000) / 1000, truthSamples: n,
      meanSiteKw: Math.round(meanW) / 1000, capLessMarginKw, jobsSubmitted: submitted, jobsRefused: refused, kpis,
    });
  });
  return {
    done,
    stop() {
      clearInterval(poll);
      for (const t of timers) clearTimeout(t);
    },
  };
}

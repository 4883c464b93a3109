import type { BacktestRun } from '../run.js';
import type { SimResult } from '../sim-result.js';
import { barChart, cdfChart, timeChart, type Band } from './svg.js';
import { kpiRows } from './table.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#264653', '#e76f51', '#2a9d8f', '#8d6cab', '#e9c46a'];
const DASH = [undefined, '6 3', '2 3', '8 2 2 2'];

/** Per-bucket means of a per-second column (about 1,440 points whatever the length). */
function downsample(values: ArrayLike<number>, bucket: number, f: (v: number) => number = (v) => v): Float64Array {
  const m = Math.ceil(values.length / bucket);
  const out = new Float64Array(m);
  for (let b = 0; b < m; b++) {
    let sum = 0;
    let k = 0;
    for (let i = b * bucket; i < Math.min(values.length, (b + 1) * bucket); i++) {
      const v = values[i]!;
      if (Number.isFinite(v)) {
        sum += f(v);
        k++;
      }
    }
    out[b] = k ? sum / k : Number.NaN;
  }
  return out;
}

function maxOf(values: ArrayLike<number>, bucket: number): Float64Array {
  const m = Math.ceil(values.length / bucket);
  const out = new Float64Array(m);
  for (let b = 0; b < m; b++) {
    let mx = Number.NEGATIVE_INFINITY;
    for (let i = b * bucket; i < Math.min(values.length, (b + 1) * bucket); i++) mx = Math.max(mx, values[i]!);
    out[b] = mx;
  }
  return out;
}

/** hh:mm on the trace's own clock (the offset its start is written with). */
function clock(startIso: string): (sec: number) => string {
  const m = /([+-])(\d\d):(\d\d)$/.exec(startIso);
  const offsetS = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
  const start = Date.parse(startIso) / 1000 + offsetS;
  return (sec: number) => new Date((start + sec) * 1000).toISOString().slice(11, 16);
}

/** Near the cap: site power (mean and highest second), the cap, cap − margin, and the site had every GPU drawn its limit. */
function capChart(r: SimResult, bands: readonly Band[], startIso: string, coolingFraction: number): string {
  const s = r.series;
  const bucket = Math.max(1, Math.ceil(s.n / 1440));
  const x = Float64Array.from({ length: Math.ceil(s.n / bucket) }, (_, i) => i * bucket);
  const kw = (v: number) => v / 1000;
  const capLessMargin = new Float64Array(s.n);
  const atLimits = new Float64Array(s.n);
  let lo = Number.POSITIVE_INFINITY;
  for (let i = 0; i < s.n; i++) {
    capLessMargin[i] = s.limitW[i]! - s.marginW[i]!;
    atLimits[i] = s.siteW[i]! + (s.gpuLimitW[i]! - s.gpuW[i]!) * (1 + coolingFraction);
    lo = Math.min(lo, s.siteW[i]!);
  }
  return timeChart({
    x, bands, yLabel: 'kW', xLabel: clock(startIso), yMin: Math.floor((lo / 1000) * 0.98 / 5) * 5, title: `near the cap, ${r.variant.label}`,
    series: [
      { name: 'site, mean', color: '#2a9d8f', values: downsample(s.siteW, bucket, kw), kind: 'line' },
      { name: 'site, highest second', color: '#264653', values: maxOf(s.siteW, bucket).map(kw), kind: 'line' },
      { name: 'site if GPUs drew their limits', color: '#8d6cab', values: downsample(atLimits, bucket, kw), kind: 'line', dash: '2 2' },
      { name: 'cap in force', color: '#d62828', values: downsample(s.limitW, bucket, kw), kind: 'line' },
      { name: 'cap − margin', color: '#d62828', values: downsample(capLessMargin, bucket, kw), kind: 'line', dash: '5 3' },
    ],
  });
}

function powerChart(r: SimResult, bands: readonly Band[], startIso: string): string {
  const s = r.series;
  const bucket = Math.max(1, Math.ceil(s.n / 1440));
  const x = Float64Array.from({ length: Math.ceil(s.n / bucket) }, (_, i) => i * bucket);
  const kw = (v: number) => v / 1000;
  const hhmm = clock(startIso);
  const capLessMargin = new Float64Array(s.n);
  for (let i = 0; i < s.n; i++) capLessMargin[i] = s.limitW[i]! - s.marginW[i]!;
  const minerShare = downsample(s.asicW, bucket, kw);
  return timeChart({
    x, bands, yLabel: 'kW', xLabel: hhmm, title: `power stack, ${r.variant.label}`,
    series: [
      { name: 'miners', color: '#f4a261', values: minerShare, kind: 'stack' },
      { name: 'GPUs', color: '#2a9d8f', values: downsample(s.gpuW, bucket, kw), kind: 'stack' },
      { name: 'GPU hosts', color: '#8ab17d', values: downsample(s.hostOverheadW, bucket, kw), kind: 'stack' },
      { name: 'cooling', color: '#a8dadc', values: downsample(s.coolingW, bucket, kw), kind: 'stack' },
      { name: 'site, highest second', color: '#264653', values: maxOf(s.siteW, bucket).map(kw), kind: 'line' },
      { name: 'cap in force', color: '#d62828', values: downsample(s.limitW, bucket, kw), kind: 'line' },
      { name: 'cap − margin', color: '#d62828', values: downsample(capLessMargin, bucket, kw), kind: 'line', dash: '5 3' },
    ],
  });
}

/** The report: one self-contained page (inline SVG and CSS, the KPIs as embedded JSON data), no script, no network. */
export function reportHtml(run: BacktestRun): string {
  const { summary, results } = run;
  const t = summary.trace;
  const site = summary.site;
  const bands: Band[] = results[0]!.gridEvents.map((g) => ({ from: g.startS, to: g.endS, label: `grid event ${g.record.id}: ${(g.record.capW / 1000).toFixed(0)} kW` }));
  const rows = kpiRows(summary.policies);
  const table = `<table><thead><tr><th></th>${summary.policies.map((p) => `<th>${esc(p.label)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr><td>${esc(r[0])}</td>${r.slice(1).map((v) => `<td class="n">${esc(v)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const targets = `<ul class="targets">${summary.targets.checks.map((c) => `<li class="${c.met ? 'met' : 'missed'}">${c.met ? '✔' : '✘'} <b>${esc(c.name)}</b>: ${esc(c.value)} <span>(target ${esc(c.target)})</span></li>`).join('')}</ul>`;
  const waits = (cls: readonly string[]) => results.map((r, k) => ({
    name: `${r.variant.label}`, color: COLORS[k % COLORS.length]!, ...(DASH[k] ? { dash: DASH[k] } : {}),
    values: r.jobs.filter((j) => cls.includes(j.class) && j.runningAt !== undefined).map((j) => Math.max(10, j.runningAt! - j.queuedAt)),
  }));
  const money = barChart({
    categories: ['mining revenue / MWh', 'mining margin / MWh', 'inference revenue / MWh', 'inference margin / MWh'],
    yLabel: '$ per MWh',
    series: summary.policies.map((p, k) => ({
      name: p.label, color: COLORS[k % COLORS.length]!,
      values: [p.mining.revenueUsdPerMWh, p.mining.marginUsdPerMWh, p.inference.revenueUsdPerMWh, p.inference.marginUsdPerMWh],
    })),
  });
  const events = summary.policies[0]!.gridEvents.length
    ? `<h2>Grid events</h2><table><thead><tr><th>policy</th><th>event</th><th>announced (s)</th><th>cap kW</th><th>baseline kW</th><th>mean kW</th><th>max kW</th><th>time to compliance</th><th>seconds above</th></tr></thead><tbody>${summary.policies
      .flatMap((p) => p.gridEvents.map((e) => `<tr><td>${esc(p.label)}</td><td>${esc(e.id)}</td><td class="n">${e.announcedS}</td><td class="n">${e.requestedKw}</td><td class="n">${e.baselineKw ?? ''}</td><td class="n">${e.meanKw ?? ''}</td><td class="n">${e.maxKw ?? ''}</td><td class="n">${e.timeToComplianceS ?? 'never'}</td><td class="n">${e.secondsAbove}</td></tr>`)).join('')}</tbody></table>`
    : '';
  const data = JSON.stringify(summary).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wattbroker backtest: ${esc(t.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}p.meta{color:#555;margin:2px 0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border-bottom:1px solid #e3e3e3;padding:4px 10px;text-align:left}td.n,th{text-align:right}th:first-child{text-align:left}
ul.targets{list-style:none;padding:0}ul.targets li{margin:3px 0}li.met{color:#1b7f3b}li.missed{color:#b3261e}ul.targets span{color:#666}
figure{margin:8px 0 20px}figcaption{color:#555;font-size:12px}
</style></head><body>
<h1>Backtest: ${esc(t.name)}</h1>
<p class="meta">${(t.durationS / 3600).toFixed(1)} h from ${esc(t.start)} · ${t.jobs} jobs · ${t.gridEvents} grid event(s) · ${t.prices} price intervals</p>
<p class="meta">Site: ${esc(site.name)} — ${site.miners} miners on ${site.asicHosts} agents, ${site.gpus} GPUs on ${site.gpuHosts} hosts, contract ${site.contractCapKw} kW, margin ${site.marginKw} kW, cooling ${(site.coolingFraction * 100).toFixed(0)} % of IT, physics ${site.physicsSpeed}×, seed ${site.seed}</p>
<h2>Targets (${esc(summary.targets.policy)})</h2>${targets}
<h2>KPIs, side by side</h2>${table}
<h2>Power stack</h2>
${results.map((r) => `<figure>${powerChart(r, bands, t.start)}<figcaption>${esc(r.variant.label)}: mean power per ${Math.max(1, Math.ceil(r.series.n / 1440))} s by part; the dark line is the highest second in each interval; grid events shaded; times on the trace's clock.</figcaption></figure>
<figure>${capChart(r, bands, t.start, site.coolingFraction)}<figcaption>${esc(r.variant.label)}, near the cap: the gap between the site and the dotted line is power the GPUs were budgeted (their limits) but did not draw.</figcaption></figure>`).join('\n')}
<h2>Admission waits</h2>
<figure>${cdfChart({ series: waits(['critical', 'standard']), xLabel: 'admission wait, critical and standard jobs (queued → running; 0 shown at 10 ms)' })}<figcaption>Share of critical and standard jobs admitted within a wait; the dashed lines mark 1 s and p95.</figcaption></figure>
<figure>${cdfChart({ series: waits(['batch']), xLabel: 'admission wait, batch jobs' })}</figure>
<h2>Revenue per MWh by workload</h2>
<figure>${money}<figcaption>Revenue and margin (revenue − energy cost) per MWh of site energy each workload drew (devices, their hosts, cooling by share).</figcaption></figure>
${events}
<script type="application/json" id="kpis">${data}</script>
</body></html>
`;
}

/**
 * A small SVG chart renderer (no library, no script): the report is a static, self-contained
 * page that opens offline. Stacked areas with lines and shaded bands, step lines (CDFs), and
 * grouped bars — what the backtest report needs, nothing more.
 */
export interface Band {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

export interface XYSeries {
  readonly name: string;
  readonly color: string;
  readonly values: ArrayLike<number>;
  readonly kind: 'stack' | 'line';
  readonly dash?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f1 = (x: number) => (Math.round(x * 10) / 10).toString();

/** About `n` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 1e9) / 1e9);
  return out;
}

interface Frame {
  readonly w: number;
  readonly h: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

const FRAME: Frame = { w: 960, h: 300, left: 64, right: 210, top: 16, bottom: 36 };

function legend(items: ReadonlyArray<{ name: string; color: string; dash?: string; area?: boolean }>, fr: Frame): string {
  return items.map((it, i) => {
    const y = fr.top + 8 + i * 18;
    const x = fr.w - fr.right + 14;
    const mark = it.area
      ? `<rect x="${x}" y="${y - 6}" width="14" height="10" fill="${it.color}" fill-opacity="0.75"/>`
      : `<line x1="${x}" y1="${y}" x2="${x + 14}" y2="${y}" stroke="${it.color}" stroke-width="2"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/>`;
    return `${mark}<text x="${x + 20}" y="${y + 4}" font-size="11">${esc(it.name)}</text>`;
  }).join('');
}

/**
 * Time series over x (seconds from the start): `stack` series are stacked areas (in order),
 * `line` series are drawn over them; bands (grid events) are shaded behind.
 */
export function timeChart(opts: { x: ArrayLike<number>; series: readonly XYSeries[]; bands?: readonly Band[]; yLabel: string; xLabel?: (s: number) => string; yMin?: number; title?: string }): string {
  return renderTime(opts);
}

/** Tick positions on a time axis (seconds): whole 5, 15, 30 minutes or 1, 2, 3, 6 hours. */
export function timeTicks(x0: number, x1: number): number[] {
  const span = x1 - x0;
  const step = [300, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400].find((st) => span / st <= 10) ?? 86_400;
  const out: number[] = [];
  for (let v = Math.ceil(x0 / step) * step; v <= x1; v += step) out.push(v);
  return out;
}

function renderTime(opts: { x: ArrayLike<number>; series: readonly XYSeries[]; bands?: readonly Band[]; yLabel: string; xLabel?: (s: number) => string; yMin?: number; title?: string }): string {
  const fr = FRAME;
  const n = opts.x.length;
  const x0 = n ? opts.x[0]! : 0;
  const x1 = n ? opts.x[n - 1]! : 1;
  const stacks = opts.series.filter((s) => s.kind === 'stack');
  const tops: Float64Array[] = [];
  let acc = new Float64Array(n);
  for (const s of stacks) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) next[i] = acc[i]! + s.values[i]!;
    tops.push(next);
    acc = next;
  }
  let yMax = 0;
  let yMinData = Number.POSITIVE_INFINITY;
  for (const t of tops) for (let i = 0; i < n; i++) yMax = Math.max(yMax, t[i]!);
  for (const s of opts.series.filter((x) => x.kind === 'line')) {
    for (let i = 0; i < n; i++) {
      const v = s.values[i]!;
      if (Number.isFinite(v)) {
        yMax = Math.max(yMax, v);
        yMinData = Math.min(yMinData, v);
      }
    }
  }
  const yMin = opts.yMin ?? 0;
  void yMinData;
  const yTop = yMax > yMin ? yMax + (yMax - yMin) * 0.05 : yMin + 1;
  const sx = (v: number) => fr.left + ((v - x0) / Math.max(1e-9, x1 - x0)) * (fr.w - fr.left - fr.right);
  const sy = (v: number) => fr.h - fr.bottom - ((Math.max(yMin, v) - yMin) / (yTop - yMin)) * (fr.h - fr.top - fr.bottom);
  const parts: string[] = [];
  for (const b of opts.bands ?? []) {
    const a = sx(Math.max(x0, b.from));
    const z = sx(Math.min(x1, b.to));
    if (z > a) parts.push(`<rect x="${f1(a)}" y="${fr.top}" width="${f1(z - a)}" height="${fr.h - fr.top - fr.bottom}" fill="#f4a261" fill-opacity="0.18"><title>${esc(b.label)}</title></rect><text x="${f1(a + 3)}" y="${fr.top + 11}" font-size="10" fill="#b5651d">${esc(b.label)}</text>`);
  }
  let below: Float64Array = new Float64Array(n);
  stacks.forEach((s, k) => {
    const top = tops[k]!;
    let d = '';
    for (let i = 0; i < n; i++) d += `${i ? 'L' : 'M'}${f1(sx(opts.x[i]!))},${f1(sy(top[i]!))}`;
    for (let i = n - 1; i >= 0; i--) d += `L${f1(sx(opts.x[i]!))},${f1(sy(below[i]!))}`;
    parts.push(`<path d="${d}Z" fill="${s.color}" fill-opacity="0.75" stroke="none"><title>${esc(s.name)}</title></path>`);
    below = top;
  });
  for (const s of opts.series.filter((x) => x.kind === 'line')) {
    let d = '';
    let pen = false;
    for (let i = 0; i < n; i++) {
      const v = s.values[i]!;
      if (!Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${f1(sx(opts.x[i]!))},${f1(sy(v))}`;
      pen = true;
    }
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${esc(s.name)}</title></path>`);
  }
  const xl = opts.xLabel ?? ((v: number) => `${Math.round(v / 3600)} h`);
  const xt = timeTicks(x0, x1);
  const yt = ticks(yMin, yTop, 5);
  const axes = [
    `<line x1="${fr.left}" y1="${fr.h - fr.bottom}" x2="${fr.w - fr.right}" y2="${fr.h - fr.bottom}" stroke="#333"/>`,
    `<line x1="${fr.left}" y1="${fr.top}" x2="${fr.left}" y2="${fr.h - fr.bottom}" stroke="#333"/>`,
    ...xt.map((v) => `<line x1="${f1(sx(v))}" y1="${fr.h - fr.bottom}" x2="${f1(sx(v))}" y2="${fr.h - fr.bottom + 4}" stroke="#333"/><text x="${f1(sx(v))}" y="${fr.h - fr.bottom + 16}" font-size="11" text-anchor="middle">${esc(xl(v))}</text>`),
    ...yt.map((v) => `<line x1="${fr.left}" y1="${f1(sy(v))}" x2="${fr.w - fr.right}" y2="${f1(sy(v))}" stroke="#ddd"/><text x="${fr.left - 6}" y="${f1(sy(v) + 4)}" font-size="11" text-anchor="end">${esc(String(v))}</text>`),
    `<text x="14" y="${fr.top + (fr.h - fr.top - fr.bottom) / 2}" font-size="11" transform="rotate(-90 14 ${fr.top + (fr.h - fr.top - fr.bottom) / 2})" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  ];
  const leg = legend(opts.series.map((s) => ({ name: s.name, color: s.color, ...(s.dash ? { dash: s.dash } : {}), area: s.kind === 'stack' })), fr);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${fr.w} ${fr.h}" width="100%" role="img">${opts.title ? `<title>${esc(opts.title)}</title>` : ''}${axes.slice(0, 2).join('')}${axes.slice(2).join('')}${parts.join('')}${leg}</svg>`;
}

/** Empirical CDFs (step lines) of positive values on a log x axis. */
export function cdfChart(opts: { series: ReadonlyArray<{ name: string; color: string; dash?: string; values: readonly number[] }>; xLabel: string; minX?: number }): string {
  const fr = FRAME;
  const minX = opts.minX ?? 10;
  // When most waits are (near) zero, the interesting part is the top: start the axis below the lowest share at minX.
  let atMin = 1;
  for (const s of opts.series) if (s.values.length) atMin = Math.min(atMin, s.values.filter((v) => v <= minX).length / s.values.length);
  const p0 = Math.max(0, Math.min(0.9, Math.floor(atMin * 10) / 10 - 0.1));
  let maxX = minX * 10;
  for (const s of opts.series) for (const v of s.values) maxX = Math.max(maxX, v);
  const lx0 = Math.log10(minX);
  const lx1 = Math.log10(maxX) + 0.05;
  const sx = (v: number) => fr.left + ((Math.log10(Math.max(minX, v)) - lx0) / (lx1 - lx0)) * (fr.w - fr.left - fr.right);
  const sy = (p: number) => fr.h - fr.bottom - ((Math.max(p0, p) - p0) / (1 - p0)) * (fr.h - fr.top - fr.bottom);
  const parts: string[] = [];
  for (const s of opts.series) {
    const v = [...s.values].sort((a, b) => a - b);
    if (!v.length) continue;
    let d = `M${f1(sx(minX))},${f1(sy(0))}`;
    v.forEach((x, i) => {
      d += `L${f1(sx(x))},${f1(sy(i / v.length))}L${f1(sx(x))},${f1(sy((i + 1) / v.length))}`;
    });
    d += `L${f1(sx(maxX))},${f1(sy(1))}`;
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${esc(s.name)}</title></path>`);
  }
  const decades: number[] = [];
  for (let e = Math.ceil(lx0); e <= Math.floor(lx1); e++) decades.push(10 ** e);
  const label = (ms: number) => (ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${ms / 1000} s` : `${ms / 60_000} min`);
  const axes = [
    `<line x1="${fr.left}" y1="${fr.h - fr.bottom}" x2="${fr.w - fr.right}" y2="${fr.h - fr.bottom}" stroke="#333"/>`,
    `<line x1="${fr.left}" y1="${fr.top}" x2="${fr.left}" y2="${fr.h - fr.bottom}" stroke="#333"/>`,
    ...decades.map((v) => `<line x1="${f1(sx(v))}" y1="${fr.top}" x2="${f1(sx(v))}" y2="${fr.h - fr.bottom}" stroke="#eee"/><text x="${f1(sx(v))}" y="${fr.h - fr.bottom + 16}" font-size="11" text-anchor="middle">${label(v)}</text>`),
    ...[...new Set([p0, ...[0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1].filter((p) => p >= p0)])].map((p) => `<line x1="${fr.left}" y1="${f1(sy(p))}" x2="${fr.w - fr.right}" y2="${f1(sy(p))}" stroke="${p === 0.95 ? '#e76f51' : '#ddd'}"${p === 0.95 ? ' stroke-dasharray="4 3"' : ''}/><text x="${fr.left - 6}" y="${f1(sy(p) + 4)}" font-size="11" text-anchor="end">${Math.round(p * 100)} %</text>`),
    `<line x1="${f1(sx(1000))}" y1="${fr.top}" x2="${f1(sx(1000))}" y2="${fr.h - fr.bottom}" stroke="#e76f51" stroke-dasharray="4 3"/>`,
    `<text x="${(fr.left + fr.w - fr.right) / 2}" y="${fr.h - 4}" font-size="11" text-anchor="middle">${esc(opts.xLabel)}</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${fr.w} ${fr.h}" width="100%" role="img">${axes.join('')}${parts.join('')}${legend(opts.series, fr)}</svg>`;
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(opts: { categories: readonly string[]; series: ReadonlyArray<{ name: string; color: string; values: ReadonlyArray<number | null> }>; yLabel: string }): string {
  const fr = FRAME;
  let lo = 0;
  let hi = 0;
  for (const s of opts.series) for (const v of s.values) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  hi = hi > lo ? hi + (hi - lo) * 0.08 : lo + 1;
  const sy = (v: number) => fr.h - fr.bottom - ((v - lo) / (hi - lo)) * (fr.h - fr.top - fr.bottom);
  const gw = (fr.w - fr.left - fr.right) / Math.max(1, opts.categories.length);
  const bw = (gw * 0.8) / Math.max(1, opts.series.length);
  const parts: string[] = [];
  opts.categories.forEach((c, i) => {
    opts.series.forEach((s, k) => {
      const v = s.values[i];
      if (v === null || v === undefined) return;
      const x = fr.left + i * gw + gw * 0.1 + k * bw;
      const y = Math.min(sy(v), sy(0));
      parts.push(`<rect x="${f1(x)}" y="${f1(y)}" width="${f1(bw - 2)}" height="${f1(Math.abs(sy(v) - sy(0)))}" fill="${s.color}"><title>${esc(`${s.name}, ${c}: ${Math.round(v)}`)}</title></rect><text x="${f1(x + bw / 2 - 1)}" y="${f1(v >= 0 ? y - 3 : y + Math.abs(sy(v) - sy(0)) + 11)}" font-size="10" text-anchor="middle">${Math.round(v)}</text>`);
    });
    parts.push(`<text x="${f1(fr.left + i * gw + gw / 2)}" y="${fr.h - fr.bottom + 16}" font-size="11" text-anchor="middle">${esc(c)}</text>`);
  });
  const yt = ticks(lo, hi, 5);
  const axes = [
    `<line x1="${fr.left}" y1="${f1(sy(0))}" x2="${fr.w - fr.right}" y2="${f1(sy(0))}" stroke="#333"/>`,
    ...yt.map((v) => `<line x1="${fr.left}" y1="${f1(sy(v))}" x2="${fr.w - fr.right}" y2="${f1(sy(v))}" stroke="#eee"/><text x="${fr.left - 6}" y="${f1(sy(v) + 4)}" font-size="11" text-anchor="end">${v}</text>`),
    `<text x="14" y="${fr.top + (fr.h - fr.top - fr.bottom) / 2}" font-size="11" transform="rotate(-90 14 ${fr.top + (fr.h - fr.top - fr.bottom) / 2})" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${fr.w} ${fr.h}" width="100%" role="img">${axes.join('')}${parts.join('')}${legend(opts.series.map((x) => ({ ...x, area: true })), fr)}</svg>`;
}

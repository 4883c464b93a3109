// The power stack over time (uPlot): ASIC, GPU and overhead stacked, the site as metered and
// modelled, the contract and effective caps, hashrate on a second axis; grid events shaded.
const WINDOW_S = 600;
const AHEAD_S = 120; // upcoming grid events show ahead of now
const kw = (w) => (w == null ? null : Math.round(w / 10) / 100);

export function powerChart(el) {
  const raw = { x: [], asic: [], gpu: [], overhead: [], cap: [], eff: [], site: [], metered: [], modelled: [], phs: [] };
  let events = [];
  let received = 0;
  const part = (name) => (u, v, si, di) => (di == null || raw[name][di] == null ? '–' : raw[name][di].toFixed(1));
  const opts = {
    width: el.clientWidth || 800,
    height: 320,
    scales: {
      x: {
        time: true,
        // Up to the last 10 minutes (less while the history is short), and a little ahead for upcoming grid events.
        range: () => {
          const end = raw.x.at(-1) ?? Date.now() / 1000;
          const span = Math.min(WINDOW_S, Math.max(120, end - (raw.x[0] ?? end)));
          return [end - span, end + Math.min(AHEAD_S, span / 4)];
        },
      },
      kw: { range: (u, min, max) => [0, Math.max(10, max * 1.08)] },
      phs: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] },
    },
    axes: [
      { stroke: '#8a97a6', grid: { stroke: '#243040' } },
      { scale: 'kw', label: 'kW', stroke: '#8a97a6', grid: { stroke: '#243040' } },
      { scale: 'phs', side: 1, label: 'PH/s', stroke: '#c79bff', grid: { show: false } },
    ],
    series: [
      {},
      { label: 'overhead', scale: 'kw', stroke: '#6b7785', fill: 'rgba(107,119,133,0.35)', value: part('overhead') },
      { label: 'GPU', scale: 'kw', stroke: '#4fa3ff', fill: 'rgba(79,163,255,0.45)', value: part('gpu') },
      { label: 'ASIC', scale: 'kw', stroke: '#f2a93b', fill: 'rgba(242,169,59,0.45)', value: part('asic') },
      { label: 'cap', scale: 'kw', stroke: '#ff5d5d', width: 2, dash: [6, 4] },
      { label: 'effective cap', scale: 'kw', stroke: '#ff5d5d', width: 2 },
      { label: 'site', scale: 'kw', stroke: '#ffffff', width: 2 },
      { label: 'metered', scale: 'kw', stroke: '#54d38a', width: 1 },
      { label: 'modelled', scale: 'kw', stroke: '#a4e3ff', width: 1, dash: [2, 3] },
      { label: 'hashrate PH/s', scale: 'phs', stroke: '#c79bff', width: 1.5 },
    ],
    hooks: {
      // Grid events as shaded spans under the series.
      drawClear: [(u) => {
        const { ctx, bbox } = u;
        let shown = 0;
        ctx.save();
        ctx.fillStyle = 'rgba(255,93,93,0.16)';
        for (const e of events) {
          const x0 = Math.max(bbox.left, u.valToPos(e.from, 'x', true));
          const x1 = Math.min(bbox.left + bbox.width, u.valToPos(e.to, 'x', true));
          if (x1 <= x0) continue;
          ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
          shown++;
        }
        ctx.restore();
        el.dataset.shaded = String(shown);
      }],
    },
  };
  const data = () => [
    raw.x,
    raw.x.map((_, i) => (raw.asic[i] ?? 0) + (raw.gpu[i] ?? 0) + (raw.overhead[i] ?? 0)),
    raw.x.map((_, i) => (raw.asic[i] ?? 0) + (raw.gpu[i] ?? 0)),
    raw.asic, raw.cap, raw.eff, raw.site, raw.metered, raw.modelled, raw.phs,
  ];
  const plot = new window.uPlot(opts, data(), el);
  // The legend shows the latest values unless the cursor points at an earlier moment.
  let hovering = false;
  plot.over.addEventListener('mouseenter', () => { hovering = true; });
  plot.over.addEventListener('mouseleave', () => { hovering = false; latest(); });
  const latest = () => { if (!hovering && raw.x.length) plot.setLegend({ idx: raw.x.length - 1 }); };
  new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 320 })).observe(el);

  const push = (s) => {
    const t = s.at / 1000;
    if (raw.x.length && t <= raw.x.at(-1)) return;
    raw.x.push(t);
    raw.asic.push(kw(s.asicW)); raw.gpu.push(kw(s.gpuW)); raw.overhead.push(kw(s.overheadW));
    raw.cap.push(kw(s.contractCapW)); raw.eff.push(kw(s.effectiveCapW)); raw.site.push(kw(s.siteW));
    raw.metered.push(kw(s.meteredSiteW)); raw.modelled.push(kw(s.modelledSiteW ?? s.siteW));
    raw.phs.push(s.hashrateThs / 1000);
    received++;
    while (raw.x.length && raw.x[0] < t - WINDOW_S) for (const k of Object.keys(raw)) raw[k].shift();
  };
  const redraw = () => {
    plot.setData(data());
    latest();
    el.dataset.points = String(received);
  };
  return {
    history(samples) { for (const s of samples) push(s); redraw(); },
    sample(s) { push(s); redraw(); },
    /** Grid events as [{ from, to }] in epoch seconds. */
    events(list) { events = list; plot.redraw(false); },
  };
}

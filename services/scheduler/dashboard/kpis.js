import { api } from './api.js';
import { fill, fmt, h } from './dom.js';

// The last hour's KPIs, the same figures a backtest reports (GET /v1/kpis?window=1h):
// contract energy used, time and energy over the cap, 15-minute maximum demand, hashrate,
// and admission waits per class.
export function kpisPanel(root) {
  const summary = root.querySelector('#kpi-summary');
  const waits = root.querySelector('#kpi-waits tbody');
  const pct = (v) => (v == null ? '–' : `${v.toFixed(2)} %`);
  const usd = (v) => (v == null ? '–' : `$${v.toFixed(0)}`);
  return async function update() {
    const k = await api('/v1/kpis?window=1h');
    summary.textContent = `last ${fmt.dur(k.window.seconds * 1000)}: contract used ${pct(k.contractEnergyUsedPct)} · over the cap ${k.secondsOverCap} s / ${k.kWhOverCap.toFixed(2)} kWh`
      + ` · 15-min max demand ${k.maxDemand15minKw.toFixed(1)} kW · ${k.hashratePhDays.toFixed(3)} PH-days · energy ${usd(k.energyCostUsd)} · mining ${usd(k.miningRevenueUsd)}`;
    fill(waits, Object.entries(k.admissionWait).map(([name, c]) => h('tr', {}, h('td', {}, name), h('td', {}, c.submitted), h('td', {}, c.done),
      h('td', {}, fmt.dur(c.waitP50Ms)), h('td', {}, fmt.dur(c.waitP95Ms)), h('td', {}, fmt.dur(c.waitP99Ms)))));
  };
}

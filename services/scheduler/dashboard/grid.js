import { api } from './api.js';
import { fill, fmt, h, num, submitting } from './dom.js';

// Grid events: upcoming, active and past, with their compliance (from the report) and the CSV.
const reports = new Map(); // id → report of an event that is over (final, fetched once)

function stateOf(e, now) {
  const from = Date.parse(e.startsAt);
  const to = Date.parse(e.endsAt);
  return now < from ? 'upcoming' : now < to ? 'active' : 'past';
}

async function compliance(e, state) {
  if (state === 'upcoming') return '';
  let r = reports.get(e.id);
  if (!r) {
    r = await api(`/v1/grid/events/${encodeURIComponent(e.id)}/report`).catch(() => null);
    if (r?.complete) reports.set(e.id, r);
  }
  if (!r) return '–';
  const ttc = r.timeToComplianceS == null ? 'not yet at cap' : `at cap after ${r.timeToComplianceS.toFixed(0)} s`;
  return `${ttc}, ${r.secondsAbove} s above`;
}

async function downloadCsv(id) {
  const blob = await api(`/v1/grid/events/${encodeURIComponent(id)}/report`, { accept: 'text/csv' });
  const a = h('a', { href: URL.createObjectURL(blob), download: `${id}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export function gridPanel(root, chart, refresh) {
  const tbody = root.querySelector('#events tbody');
  const form = root.querySelector('#grid-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submitting(form, async () => {
      const f = new FormData(form);
      const inMin = Number(f.get('startsInMin') || 0);
      const forMin = Number(f.get('forMin') || 0);
      const starts = Date.now() + (Number.isFinite(inMin) ? inMin : 0) * 60_000;
      const program = String(f.get('program') ?? '').trim();
      await api('/v1/grid/events', {
        method: 'POST',
        body: {
          capKw: num(f.get('capKw')), startsAt: new Date(starts).toISOString(),
          endsAt: new Date(starts + (Number.isFinite(forMin) ? forMin : 0) * 60_000).toISOString(),
          ...(program ? { program } : {}),
        },
      });
      await refresh();
    });
  });
  return async function update() {
    const list = await api('/v1/grid/events');
    const now = Date.now();
    chart.events(list.map((e) => ({ from: Date.parse(e.startsAt) / 1000, to: Date.parse(e.endsAt) / 1000 })));
    const order = { active: 0, upcoming: 1, past: 2 };
    const rows = await Promise.all(list
      .map((e) => ({ e, state: stateOf(e, now) }))
      .sort((a, b) => order[a.state] - order[b.state] || Date.parse(b.e.startsAt) - Date.parse(a.e.startsAt))
      .slice(0, 20)
      .map(async ({ e, state }) => h('tr', { class: state, 'data-id': e.id },
        h('td', {}, state), h('td', {}, e.capKw.toFixed(1)), h('td', {}, fmt.time(e.startsAt)), h('td', {}, fmt.time(e.endsAt)),
        h('td', {}, e.program ?? e.source), h('td', { class: 'why' }, await compliance(e, state)),
        h('td', {}, state === 'upcoming' ? '' : h('button', { type: 'button', onclick: () => void downloadCsv(e.id) }, 'CSV')))));
    fill(tbody, rows);
  };
}

import { api, problemText } from './api.js';
import { fill, fmt, h } from './dom.js';

// The fleet: hosts (silent ones highlighted), GPU hosts with their cards, limits and jobs,
// miners as a table to filter and sort (disobedient and off-target rows highlighted), with
// the operator's per-miner actions: pin a profile, maintenance on/off.
const MAX_ROWS = 500;

function minerRow(d) {
  const r = d.reading;
  const profile = !r ? '' : r.sleeping ? (r.waking ? 'waking' : 'sleep') : r.profile ?? '';
  const target = !d.desired ? '' : d.desired.kind === 'asic' ? (d.desired.sleep ? 'sleep' : d.desired.profile ?? '') : '';
  return { d, id: d.id, hostId: d.hostId, model: d.model, status: d.status, profile, target, powerW: r?.powerW ?? 0, ths: r?.hashrateThs ?? 0 };
}

export function fleetPanel(root) {
  const hosts = root.querySelector('#hosts');
  const gpuHosts = root.querySelector('#gpu-hosts');
  const tbody = root.querySelector('#miners tbody');
  const filter = root.querySelector('#miner-filter');
  const count = root.querySelector('#miner-count');
  const chips = root.querySelector('#profiles');
  const heatmap = root.querySelector('#heatmap');
  const error = root.querySelector('#fleet-error');
  let sort = { key: 'status', asc: false };
  let miners = [];
  let refresh = async () => {};

  const act = async (id, patch) => {
    error.textContent = '';
    try {
      await api(`/v1/devices/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
      await refresh();
    } catch (e) {
      error.textContent = `${id}: ${problemText(e)}`;
    }
  };

  const render = () => {
    const q = filter.value.trim().toLowerCase();
    const rows = miners.filter((m) => !q || [m.id, m.hostId, m.model, m.status, m.profile].some((v) => String(v).toLowerCase().includes(q)));
    const dir = sort.asc ? 1 : -1;
    // Trouble first by default: disobedient, off target, unreachable, silent.
    const rank = { disobedient: 0, 'off-target': 1, unreachable: 2, silent: 3, unknown: 4, 'in-transition': 5, maintenance: 6, idle: 7, 'on-target': 8 };
    rows.sort((a, b) => {
      const x = sort.key === 'status' ? rank[b.status] ?? 9 : a[sort.key];
      const y = sort.key === 'status' ? rank[a.status] ?? 9 : b[sort.key];
      return (x < y ? -1 : x > y ? 1 : 0) * dir || a.id.localeCompare(b.id);
    });
    count.textContent = `(${rows.length} of ${miners.length}${rows.length > MAX_ROWS ? `, first ${MAX_ROWS} shown` : ''})`;
    fill(tbody, rows.slice(0, MAX_ROWS).map((m) => {
      const pin = h('input', { placeholder: 'profile', value: m.d.override?.pinnedProfile ?? '', 'aria-label': `${m.id} pinned profile`, size: 6 });
      const inMaintenance = m.d.override?.maintenance === true;
      return h('tr', { class: m.status, 'data-id': m.id, title: m.d.reason ?? '' },
        h('td', {}, m.id), h('td', {}, m.hostId), h('td', {}, m.model), h('td', {}, m.status), h('td', {}, m.profile), h('td', {}, m.target),
        h('td', {}, fmt.kw(m.powerW)), h('td', {}, m.ths.toFixed(0)),
        h('td', {}, pin,
          h('button', { type: 'button', onclick: () => void act(m.id, { pinnedProfile: pin.value.trim() || null }) }, 'pin'),
          h('button', { type: 'button', onclick: () => void act(m.id, { maintenance: !inMaintenance }) }, inMaintenance ? 'end maintenance' : 'maintenance')));
    }));
  };

  filter.addEventListener('input', render);
  for (const th of root.querySelectorAll('#miners th[data-sort]')) {
    th.addEventListener('click', () => {
      const key = th.dataset.sort;
      sort = { key, asc: sort.key === key ? !sort.asc : true };
      for (const o of root.querySelectorAll('#miners th')) o.classList.remove('sorted', 'asc');
      th.classList.add('sorted');
      if (sort.asc) th.classList.add('asc');
      render();
    });
  }

  return {
    onRefresh(fn) { refresh = fn; },
    async update() {
      const [hostList, devices, jobs] = await Promise.all([api('/v1/hosts'), api('/v1/devices'), api('/v1/jobs?state=running&limit=200')]);
      fill(hosts, hostList.map((x) => h('span', { class: `host chip ${x.silent ? 'silent' : ''}`, title: x.silent ? 'silent: no telemetry' : 'live' },
        `${x.hostId} (${x.kind}, ${x.devices})${x.silent ? ' SILENT' : ''}`)));
      const jobOf = new Map(jobs.flatMap((j) => (j.gpuIds ?? []).map((g) => [g, j])));
      const byHost = new Map();
      for (const d of devices.filter((x) => x.kind === 'gpu')) byHost.set(d.hostId, [...(byHost.get(d.hostId) ?? []), d]);
      fill(gpuHosts, [...byHost].map(([hostId, cards]) => h('div', { class: 'gpu-host' }, h('div', {}, hostId),
        h('div', { class: 'cards' }, cards.map((c) => {
          const job = jobOf.get(c.id);
          return h('div', { class: `card ${c.status} ${job ? 'busy' : ''}` },
            h('div', {}, c.id), h('div', {}, `${fmt.kw(c.reading?.powerW)} kW / limit ${fmt.kw(c.reading?.powerLimitW)} kW`),
            h('div', {}, job ? `job ${job.id} (${job.class})` : 'idle'), h('div', {}, c.status));
        })))));
      miners = devices.filter((x) => x.kind === 'asic').map(minerRow);
      const byProfile = new Map();
      for (const m of miners) byProfile.set(m.profile || '–', (byProfile.get(m.profile || '–') ?? 0) + 1);
      fill(chips, [...byProfile].sort().map(([p, n]) => h('span', { class: 'chip' }, `${p}: ${n}`)));
      // The whole fleet at a glance, one cell per miner: green on target, blue moving, dark
      // asleep, amber off target or unread, red disobedient or silent, grey in maintenance.
      fill(heatmap, miners.map((m) => h('span', {
        class: `cell ${m.status} ${m.status === 'on-target' && m.profile === 'sleep' ? 'asleep' : ''}`,
        title: `${m.id} (${m.hostId}) ${m.status} ${m.profile} ${fmt.kw(m.powerW)} kW`,
        onclick: () => { filter.value = m.id; render(); },
      })));
      if (!document.activeElement?.matches('#miners input')) render(); // never under the operator's cursor
    },
  };
}

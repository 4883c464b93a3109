import { api, problemText, token } from './api.js';
import { powerChart } from './chart.js';
import { fleetPanel } from './fleet.js';
import { gridPanel } from './grid.js';
import { jobsPanel } from './jobs.js';
import { kpisPanel } from './kpis.js';
import { settingsPanel } from './settings.js';
import { openStream } from './stream.js';

// The page: a token (from the sign-in form, or once from the URL fragment `#token=…`, which
// browsers never send to the server), then the live stream for the chart and status line and
// the REST API every 2 s for the rest.
const $ = (s) => document.querySelector(s);
const REFRESH_MS = 2000;

function fromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  token.set(decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

function statusLine(s) {
  const p = s.siteW / s.effectiveCapW * 100;
  const meter = s.meteredSiteW == null ? '' : `; meter ${(s.meteredSiteW / 1000).toFixed(1)}, model ${((s.modelledSiteW ?? s.siteW) / 1000).toFixed(1)}`;
  return `cap ${(s.effectiveCapW / 1000).toFixed(1)} kW | site ${(s.siteW / 1000).toFixed(1)} kW (${p.toFixed(1)} %${meter}) | ASIC ${(s.asicW / 1000).toFixed(1)} GPU ${(s.gpuW / 1000).toFixed(1)} overhead ${(s.overheadW / 1000).toFixed(1)} kW`
    + ` | ${(s.hashrateThs / 1000).toFixed(2)} PH/s | jobs queued ${s.jobs.queued} admitting ${s.jobs.admitting} running ${s.jobs.running}`
    + (s.silentHosts.length ? ` | SILENT ${s.silentHosts.join(', ')}` : '') + (s.offTarget ? ` | off target ${s.offTarget}` : '');
}

function showLogin(message = '') {
  $('#app').hidden = true;
  $('#logout').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message;
}

async function start() {
  // Check the token once before building the page.
  let site;
  try {
    site = await api('/v1/site');
  } catch (e) {
    token.clear();
    return showLogin(problemText(e));
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#logout').hidden = false;

  const root = $('#app');
  const chart = powerChart($('#chart'));
  const fleet = fleetPanel(root);
  const jobs = jobsPanel(root);
  const kpis = kpisPanel(root);
  const settings = settingsPanel(root);
  settings.contract(site);
  let grid;
  const refresh = async () => {
    const results = await Promise.allSettled([grid(), jobs(), kpis(), settings.update(), fleet.update()]);
    const failed = results.find((r) => r.status === 'rejected');
    $('#live').title = failed ? `refresh failed: ${problemText(failed.reason)}` : 'live';
  };
  grid = gridPanel(root, chart, refresh);
  fleet.onRefresh(refresh);

  openStream((event, data) => {
    if (event === 'history') chart.history(data);
    if (event === 'sample') {
      chart.sample(data);
      $('#status').textContent = statusLine(data);
    }
  }, (on, status) => {
    $('#live').classList.toggle('on', on);
    if (status === 401) { token.clear(); showLogin('the token was refused'); }
    if (status === 503) $('#status').textContent = 'this scheduler stands by: open the leader\'s dashboard (see /readyz)';
  });
  await refresh();
  setInterval(() => void refresh(), REFRESH_MS);
}

$('#login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token.set($('#login-token').value.trim());
  void start();
});
$('#logout').addEventListener('click', () => {
  token.clear();
  location.reload();
});

fromFragment();
if (token.get()) void start();
else showLogin();

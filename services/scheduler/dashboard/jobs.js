import { api } from './api.js';
import { fill, fmt, h } from './dom.js';

// The job queue (queued, admitting, running, with how long each has waited) and the latest
// plan's explanation per priority class.
export function jobsPanel(root) {
  const jobs = root.querySelector('#jobs tbody');
  const counts = root.querySelector('#job-counts');
  const classes = root.querySelector('#classes tbody');
  const summary = root.querySelector('#plan-summary');
  return async function update() {
    const now = Date.now();
    const [queued, admitting, running, plan] = await Promise.all([
      ...['queued', 'admitting', 'running'].map((s) => api(`/v1/jobs?state=${s}&limit=50`)),
      api('/v1/plan').catch(() => null),
    ]);
    counts.textContent = `queued ${queued.length} · admitting ${admitting.length} · running ${running.length}`;
    fill(jobs, [...admitting, ...queued, ...running].map((j) => {
      const since = Date.parse(j.timestamps.queued ?? j.timestamps[j.state] ?? new Date(now).toISOString());
      const waited = j.admissionWaitMs ?? now - since;
      return h('tr', { class: j.state }, h('td', {}, j.id), h('td', {}, j.state), h('td', {}, j.class), h('td', {}, j.gpus),
        h('td', {}, j.hostId ?? ''), h('td', {}, fmt.dur(waited)), h('td', { class: 'why' }, j.waitReason ?? ''));
    }));
    if (!plan) {
      summary.textContent = 'no plan yet';
      fill(classes, []);
      return;
    }
    summary.textContent = `binding: ${plan.binding} · IT budget ${fmt.kw(plan.itBudgetW)} kW · GPU ${fmt.kw(plan.gpuBudgetW)} kW · miners ${fmt.kw(plan.minerBudgetW)} kW → ${(plan.plannedHashrateThs / 1000).toFixed(2)} PH/s planned`
      + (plan.reasons.length ? ` · ${plan.reasons.join('; ')}` : '');
    fill(classes, plan.classes.map((c) => h('tr', {}, h('td', {}, c.name), h('td', {}, c.kind), h('td', {}, c.kw.toFixed(1)),
      h('td', {}, c.minKw ?? ''), h('td', {}, c.maxKw ?? ''), h('td', {}, c.waitingJobs), h('td', { class: 'why' }, c.why))));
  };
}

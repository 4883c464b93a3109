import { problemText } from './api.js';

// Small DOM helpers: elements are built with textContent, never innerHTML, so names and
// reasons from the API cannot inject markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

export const fmt = {
  kw: (w) => (w == null ? '–' : (w / 1000).toFixed(1)),
  time: (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
  dur: (ms) => (ms == null ? '–' : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`),
};

/** Run a form's action; show its error (problem+json as text) under the form, or clear it. */
export async function submitting(form, action) {
  const out = form.querySelector('.error');
  const button = form.querySelector('button[type=submit]');
  out.textContent = '';
  button.disabled = true;
  try {
    await action();
  } catch (e) {
    out.textContent = problemText(e);
  } finally {
    button.disabled = false;
  }
}

/** A number typed into a form: empty is "not given"; anything else is sent as typed (the API validates it). */
export function num(v) {
  const t = String(v ?? '').trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

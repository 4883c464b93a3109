// The REST API as the page uses it: the bearer token kept in this tab's session (never in a
// URL that is sent to the server), errors as the API's problem+json turned into one text.
const KEY = 'wattbroker.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

/** A problem+json answer (RFC 9457), kept whole so forms can show every field at fault. */
export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** One readable text: "Invalid request: body[0].minKw: Too small…" plus any further fields. */
export function problemText(e) {
  if (!(e instanceof ProblemError)) return String(e?.message ?? e);
  const p = e.problem;
  const more = (p.errors ?? []).slice(1).map((x) => `${x.field}: ${x.message}`);
  return [`${p.title ?? 'Error'} (${e.status}): ${p.detail ?? ''}`, ...more].join('\n');
}

export async function api(path, { method = 'GET', body, accept } = {}) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token.get()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(accept ? { accept } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) {
    const text = await res.text();
    let problem;
    try { problem = JSON.parse(text); } catch { problem = { title: res.statusText, detail: text }; }
    throw new ProblemError(res.status, problem);
  }
  if (res.status === 204) return null;
  if (accept === 'text/csv') return res.blob();
  return res.json();
}

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '@wattbroker/contracts';
import { OPERATOR, TENANT, VIEWER, startInProcessSite } from '../in-process-site.js';
import { canonical } from './canonical.js';
import { FUZZ_RUNS, FUZZ_SEED } from '@wattbroker/testkit';

/**
 * Fuzzing every write endpoint of the REST API, in this process against the real express
 * app, scheduler and a private Redis: generated bodies (valid ones, mutated ones, other
 * JSON, not JSON at all), headers (tokens of every role, wrong and malformed ones, other
 * content types) and query strings. Whatever comes in: never a 5xx; every refusal is
 * problem+json naming the field; and the site's state in Redis (contract, priorities,
 * events, schedules, prices, overrides, jobs, the audit trail) is exactly as before a
 * refused request.
 */
const iso = (ms: number) => new Date(ms).toISOString();

/** Values that break schemas in every way JSON allows. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 0.5, '', ' ', '1', 'NaN', '2026-13-45T99:00:00Z', '__proto__', [], {}, [null], 'a,b', 'x'.repeat(300)),
  fc.integer(), fc.double({ noNaN: true }), fc.string({ maxLength: 20 }),
);

/** A template body, broken (or not) in one place: replaced, a key set to junk, a key dropped, a key added. */
function mutated(template: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(template);
  return fc.oneof(
    { weight: 1, arbitrary: junk },
    { weight: 4, arbitrary: fc.record({ k: fc.constantFrom(...keys), v: junk }).map(({ k, v }) => ({ ...template, [k]: v })) },
    { weight: 1, arbitrary: fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(template).filter(([x]) => x !== k))) },
    { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('extra', 'constructor', '__proto__', 'capkw', ''), v: junk }).map(({ k, v }) => JSON.parse(JSON.stringify(template).replace(/}$/, () => `${keys.length ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(v ?? null)}}`))) },
    { weight: 1, arbitrary: fc.constant(template) },
  );
}

interface Case {
  method: string;
  path: string;
  body: unknown;
  raw?: string;
  auth: string | undefined;
  contentType: string | undefined;
  query: string;
}

describe('REST write endpoints under fuzzing (in-process, real Redis)', () => {
  let site: Awaited<ReturnType<typeof startInProcessSite>>;
  let baseline = '';
  const tally = { cases: 0, accepted: 0, refused: new Map<number, number>() };

  /** Everything the site keeps, as Redis has it (hashes with sorted keys: their order changes as Redis rehashes). */
  const snapshot = async (): Promise<string> => {
    const m = site.redis.multi().get(KEYS.contract).get(KEYS.priorities).hgetall(KEYS.gridEvents).hgetall(KEYS.gridSchedules)
      .get(KEYS.energyPrice).get(KEYS.hashprice).hgetall(KEYS.overrides).hgetall(KEYS.jobs).xlen(KEYS.audit);
    return canonical(await m.exec());
  };

  beforeAll(async () => {
    site = await startInProcessSite({
      miners: 4, gpuHosts: [{ id: 'gpu-1', gpus: 4 }], capW: 60_000,
      api: { rateLimits: { authFailures: 1e9, jobSubmissions: 1e9 } },
      // The lease runs on real time; the site's clock moves only when the test says.
      leaseTtlMs: 600_000,
    });
    await site.run(2000);
    // A grid cap of 1 kW all day: jobs the fuzzer gets accepted wait in the queue instead of
    // being admitted behind its back (admissions would change job records between requests).
    const now = site.clock.now();
    const cap = await site.api('/v1/grid/events', { method: 'POST', body: { capKw: 1, startsAt: iso(now - 60_000), endsAt: iso(now + 86_400_000), program: 'fuzz-hold' } });
    expect(cap.status).toBe(201);
    await site.s.loop.idle();
    baseline = await snapshot();
  }, 60_000);
  afterAll(async () => {
    await site?.stop();
    const refused = [...tally.refused].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    process.stdout.write(`REST fuzz: ${tally.cases} cases, ${tally.accepted} accepted, refused ${refused}\n`);
  }, 30_000);

  const auth = fc.oneof(
    { weight: 12, arbitrary: fc.constant(`Bearer ${OPERATOR}`) },
    { weight: 2, arbitrary: fc.constantFrom(`Bearer ${TENANT}`, `Bearer ${VIEWER}`) },
    { weight: 2, arbitrary: fc.constantFrom(undefined, '', 'Bearer', `Bearer ${'x'.repeat(40)}`, `Basic ${OPERATOR}`, `Bearer ${OPERATOR} extra`, `Bearer ${OPERATOR.slice(0, -1)}`, 'Bearer ' + 'y'.repeat(600)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, 'z')}`) },
  );
  const contentType = fc.oneof(
    { weight: 10, arbitrary: fc.constant('application/json') },
    { weight: 1, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'application/vnd.api+json') },
  );
  const query = fc.oneof(
    { weight: 8, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }).map((d) => `?${new URLSearchParams(d).toString()}`) },
    { weight: 1, arbitrary: fc.constantFrom('?a[b]=1&a=2', '?limit=1', '?=', '?%', '?x=%E0%A4%A') },
  );
  /** A body as sent: the JSON of a generated value mostly, sometimes bytes that are not JSON. */
  const raw = fc.oneof(
    { weight: 10, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"capKw":', 'null', '[]', '"x"', '{"a":1}{"b":2}', `${'['.repeat(3000)}${']'.repeat(3000)}`, '\u0000', '{"capKw": 1e999}') },
    { weight: 1, arbitrary: fc.string({ maxLength: 50 }) },
  );

  async function send(c: Case) {
    const headers: Record<string, string> = {};
    if (c.auth !== undefined) headers.authorization = c.auth;
    if (c.contentType !== undefined) headers['content-type'] = c.contentType;
    const body = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
    const res = await fetch(`${site.url}${c.path}${c.query}`, { method: c.method, headers, ...(body !== undefined && c.method !== 'DELETE' ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text };
  }

  /** One case: send it, then check the answer and (for a refusal) that nothing changed. */
  async function check(c: Case): Promise<void> {
    tally.cases++;
    // The state just before this request: what a refusal must leave as it was (a step that ran
    // after the previous case may have written since, which is not this request's doing).
    await site.s.loop.idle();
    baseline = await snapshot();
    const r = await send(c);
    const what = `${c.method} ${c.path}${c.query} ${c.raw ?? JSON.stringify(c.body)?.slice(0, 200)} → ${r.status} ${r.text.slice(0, 300)}`;
    expect(r.status, what).toBeLessThan(500);
    if (r.status < 400) {
      // Accepted only with a token whose role may write here: the operator's, or a tenant's on jobs.
      const allowed = c.auth === `Bearer ${OPERATOR}` || (c.auth === `Bearer ${TENANT}` && c.path.startsWith('/v1/jobs'));
      expect(allowed, `${what}: accepted for a role that may not write here`).toBe(true);
      tally.accepted++;
      await site.s.loop.idle();
      baseline = await snapshot();
      return;
    }
    tally.refused.set(r.status, (tally.refused.get(r.status) ?? 0) + 1);
    expect(r.type, what).toMatch(/^application\/problem\+json/);
    const p = JSON.parse(r.text) as { status: number; detail: string; errors?: Array<{ field: string; message: string }> };
    expect(p.status, what).toBe(r.status);
    // 404: no such record (the path parameter named), or no such route (an empty id).
    if (r.status === 404) expect(p.detail, what).toMatch(/^(id|name): no |^[A-Z]+ \/\S*: no such endpoint$/);
    else {
      const field = p.errors?.[0]?.field;
      expect(field, what).toMatch(/^\S/);
      expect(p.detail.startsWith(`${field}: `), what).toBe(true);
    }
    await site.s.loop.idle();
    expect(await snapshot(), `${what}: state changed by a refused request`).toBe(baseline);
  }

  const endpoint = (method: string, path: fc.Arbitrary<string>, template: Record<string, unknown> | undefined) =>
    fc.record({ path, body: template ? mutated(template) : fc.constant(undefined), raw, auth, contentType, query }).map((x): Case => ({ method, ...x, raw: template ? x.raw : undefined }));

  const now = Date.now();
  const deviceIds = () => [...site.hosts.get('asic-1')!.devices.keys()];
  const targets: Array<[string, () => fc.Arbitrary<Case>]> = [
    ['PUT /v1/site/contract', () => endpoint('PUT', fc.constant('/v1/site/contract'), { capKw: 59, marginKw: 1 })],
    ['PUT /v1/priorities', () => {
      // The site's own list with one class broken (or not), or the whole list replaced.
      const list = site.s.settings.priorities().map((c) => ({ ...c })) as Array<Record<string, unknown>>;
      const body = fc.oneof(
        fc.record({ i: fc.nat({ max: list.length - 1 }), c: mutated(list[0]!) }).map(({ i, c }) => list.map((x, j) => (j === i ? c : x))),
        junk,
        fc.constant([...list, list[0]]),
      );
      return fc.record({ body, raw, auth, contentType, query }).map((x): Case => ({ method: 'PUT', path: '/v1/priorities', ...x }));
    }],
    ['PATCH /v1/devices/:id', () => endpoint('PATCH', fc.oneof(fc.constantFrom(...deviceIds()), fc.string({ maxLength: 20 })).map((id) => `/v1/devices/${encodeURIComponent(id)}`), { maintenance: false, pinnedProfile: null })],
    ['POST /v1/grid/events', () => endpoint('POST', fc.constant('/v1/grid/events'), { capKw: 55, startsAt: iso(now + 3_600_000), endsAt: iso(now + 7_200_000), program: 'fuzz', mandatory: false })],
    ['DELETE /v1/grid/events/:id', () => endpoint('DELETE', fc.oneof(fc.constant('grid-nothing'), fc.string({ maxLength: 20 })).map((id) => `/v1/grid/events/${encodeURIComponent(id)}`), undefined)],
    ['POST /v1/grid/schedules', () => endpoint('POST', fc.constant('/v1/grid/schedules'), { name: 'fuzz-window', cron: '0 18 * * 1-5', tz: 'Europe/Berlin', durationMinutes: 60, capKw: 50 })],
    ['DELETE /v1/grid/schedules/:name', () => endpoint('DELETE', fc.oneof(fc.constant('no-such'), fc.string({ maxLength: 20 })).map((n) => `/v1/grid/schedules/${encodeURIComponent(n)}`), undefined)],
    ['PUT /v1/prices/energy', () => endpoint('PUT', fc.constant('/v1/prices/energy'), { intervals: [{ start: iso(now), end: iso(now + 3_600_000), pricePerMWh: 40 }] })],
    ['PUT /v1/prices/hash', () => endpoint('PUT', fc.constant('/v1/prices/hash'), { usdPerThDay: 0.05 })],
    ['POST /v1/jobs', () => endpoint('POST', fc.constant('/v1/jobs'), { class: 'standard', gpus: 1, durationS: 30, powerLimitW: 400 })],
    ['DELETE /v1/jobs/:id', () => endpoint('DELETE', fc.oneof(fc.constant('job-nothing'), fc.string({ maxLength: 20 })).map((id) => `/v1/jobs/${encodeURIComponent(id)}`), undefined)],
  ];
  const perTarget = Math.ceil(FUZZ_RUNS / targets.length);

  it.each(targets)('%s: no 5xx, refusals name the field and change nothing', async (_name, arb) => {
    await fc.assert(fc.asyncProperty(arb(), check), { numRuns: perTarget, ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}) });
  }, 600_000);
});

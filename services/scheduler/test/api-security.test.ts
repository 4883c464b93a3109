import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { OPERATOR, TENANT, TENANT_B, VIEWER, startInProcessSite } from './in-process-site.js';

/** Send a request head and only the first `sentBytes` of a body announced as `announced` bytes; resolve with what the server answers. */
function partialPost(url: string, path: string, headers: Record<string, string>, announced: number, sentBytes: number, waitMs = 10_000): Promise<{ status: number; raw: string; sent: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname);
    let raw = '';
    const head = [`PUT ${path} HTTP/1.1`, `Host: ${hostname}`, 'Content-Type: application/json', `Content-Length: ${announced}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
    sock.on('connect', () => {
      sock.write(head);
      sock.write('{'.padEnd(sentBytes, ' '));
    });
    sock.on('data', (d) => {
      raw += d.toString();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      if (m && raw.includes('\r\n\r\n')) {
        sock.destroy();
        resolve({ status: Number(m[1]), raw, sent: sentBytes });
      }
    });
    sock.on('error', reject);
    setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer after sending ${sentBytes} of ${announced} bytes`));
    }, waitMs).unref();
  });
}

describe('the API: named actors, audit trail, tenant isolation, authentication before the body (in-process, real Redis)', () => {
  let site: Awaited<ReturnType<typeof startInProcessSite>>;
  const logLines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });

  beforeAll(async () => {
    site = await startInProcessSite({
      miners: 6, gpuHosts: [{ id: 'gpu-1', gpus: 4 }], capW: 60_000,
      api: { rateLimits: { authFailures: 5, jobSubmissions: 4, windowMs: 60_000 } },
      logger: pino({ level: 'info' }, sink),
    });
    await site.run(3000);
  }, 60_000);
  afterAll(() => site?.stop(), 30_000);

  it('records a named operator\'s write in GET /v1/audit with before, after, route and request id; pages with a cursor', async () => {
    const before = (await site.api<any>('/v1/site')).body.contract;
    const put = await site.api<any>('/v1/site/contract', { method: 'PUT', body: { capKw: 58 } });
    expect(put.status).toBe(200);
    const requestId = put.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await site.api('/v1/prices/hash', { method: 'PUT', body: { usdPerThDay: 0.05 } });
    const audit = await site.api<any[]>('/v1/audit?limit=1');
    expect(audit.status).toBe(200);
    expect(audit.body[0]).toMatchObject({ actor: 'ops', role: 'operator', route: 'PUT /v1/prices/hash', body: { usdPerThDay: 0.05 }, after: 0.05 });
    const cursor = audit.headers.get('x-next-cursor');
    expect(cursor).toBe(audit.body[0].id);
    const next = await site.api<any[]>(`/v1/audit?limit=1&cursor=${cursor}`);
    expect(next.body[0]).toMatchObject({
      actor: 'ops', role: 'operator', route: 'PUT /v1/site/contract', requestId, body: { capKw: 58 },
      before: { capW: before.capKw * 1000, marginW: 0 }, after: { capW: 58_000, marginW: 0 },
    });
    expect(Date.parse(next.body[0].at)).toBeGreaterThan(Date.now() - 60_000);
    // A refused write leaves no entry; a viewer or tenant may not read the trail.
    const refused = await site.api<any>('/v1/site/contract', { method: 'PUT', body: { capKw: -1 } });
    expect(refused.status).toBe(400);
    expect((await site.api<any[]>('/v1/audit?limit=1')).body[0].id).toBe(audit.body[0].id);
    expect((await site.api('/v1/audit', { token: VIEWER })).status).toBe(403);
    expect((await site.api('/v1/audit', { token: TENANT })).status).toBe(403);
    const bad = await site.api<any>('/v1/audit?cursor=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('cursor');
  });

  it('names the actor in the access log, never the token', async () => {
    await site.api('/v1/site', { token: VIEWER });
    const line = logLines.findLast((l) => (l.req as { url?: string } | undefined)?.url === '/v1/site');
    expect(line).toMatchObject({ actor: 'watcher', role: 'viewer' });
    const all = logLines.map((l) => JSON.stringify(l)).join('\n');
    for (const t of [OPERATOR, TENANT, TENANT_B, VIEWER]) expect(all).not.toContain(t);
  });

  it('lets a tenant see and cancel only its own jobs', async () => {
    const a = await site.api<any>('/v1/jobs', { method: 'POST', token: TENANT, body: { class: 'standard', gpus: 1, durationS: 3600 } });
    expect(a.status).toBe(202);
    const b = await site.api<any>('/v1/jobs', { method: 'POST', token: TENANT_B, body: { class: 'standard', gpus: 1, durationS: 3600 } });
    expect(b.status).toBe(202);
    const listB = await site.api<any[]>('/v1/jobs', { token: TENANT_B });
    expect(listB.body.map((j) => j.id)).toEqual([b.body.id]);
    expect((await site.api(`/v1/jobs/${a.body.id}`, { token: TENANT_B })).status).toBe(404);
    const cancel = await site.api<any>(`/v1/jobs/${a.body.id}`, { method: 'DELETE', token: TENANT_B });
    expect(cancel.status).toBe(404);
    expect((await site.api<any>(`/v1/jobs/${a.body.id}`, { token: TENANT })).body.state).not.toBe('cancelled');
    // The operator sees both, with their owners; the owner cancels its own, and the trail says who.
    const all = await site.api<any[]>('/v1/jobs');
    expect(all.body.filter((j) => [a.body.id, b.body.id].includes(j.id)).map((j) => j.owner).sort()).toEqual(['tenant-a', 'tenant-b']);
    const own = await site.api<any>(`/v1/jobs/${a.body.id}`, { method: 'DELETE', token: TENANT });
    expect(own.status).toBe(200);
    expect(own.body.state).toBe('cancelled');
    const trail = (await site.api<any[]>('/v1/audit?limit=3')).body;
    expect(trail[0]).toMatchObject({ actor: 'tenant-a', route: `DELETE /v1/jobs/${a.body.id}`, after: { id: a.body.id, state: 'cancelled' } });
    expect(trail[0].before.state).not.toBe('cancelled');
    expect(trail[1]).toMatchObject({ actor: 'tenant-b', route: 'POST /v1/jobs', before: null, after: { id: b.body.id, owner: 'tenant-b' } });
    await site.api(`/v1/jobs/${b.body.id}`, { method: 'DELETE', token: TENANT_B });
  });

  it('shows a job\'s workload to operators only, and its id to no other tenant, in the device views', async () => {
    const secret = 'prompt-of-tenant-a-' + Math.random().toString(36).slice(2);
    const a = await site.api<any>('/v1/jobs', { method: 'POST', token: TENANT, body: { class: 'critical', gpus: 1, durationS: 3600, workload: { endpoint: 'vllm', path: '/v1/completions', body: { prompt: secret } } } });
    expect(a.status).toBe(202);
    for (let t = 0; t < 10_000 && (await site.api<any>(`/v1/jobs/${a.body.id}`)).body.state !== 'running'; t += 1000) await site.run(1000);
    expect((await site.api<any>(`/v1/jobs/${a.body.id}`)).body.state).toBe('running');
    const seen = async (token: string) => JSON.stringify((await site.api('/v1/devices', { token })).body);
    const asOperator = await seen(OPERATOR);
    expect(asOperator).toContain(secret);
    expect(asOperator).toContain(a.body.id);
    const asViewer = await seen(VIEWER);
    expect(asViewer).not.toContain(secret);
    expect(asViewer).toContain(a.body.id);
    const asOtherTenant = await seen(TENANT_B);
    expect(asOtherTenant).not.toContain(secret);
    expect(asOtherTenant).not.toContain(a.body.id);
    const asOwner = await seen(TENANT);
    expect(asOwner).not.toContain(secret);
    expect(asOwner).toContain(a.body.id);
    await site.api(`/v1/jobs/${a.body.id}`, { method: 'DELETE', token: TENANT });
  });

  it('answers an unauthenticated 3 MB body with 401 before reading it, and parses it only for a known token', async () => {
    const announced = 3 * 1024 * 1024;
    // Only 16 kB of the 3 MB are ever sent: an answer proves the server did not wait for the body.
    const anon = await partialPost(site.url, '/v1/priorities', {}, announced, 16 * 1024);
    expect(anon.status).toBe(401);
    expect(anon.raw).toMatch(/content-type: application\/problem\+json/i);
    const wrong = await partialPost(site.url, '/v1/priorities', { Authorization: `Bearer ${'x'.repeat(40)}` }, announced, 16 * 1024);
    expect(wrong.status).toBe(401);
    // With a known token the same request waits for its body (the parser reads it): no answer.
    await expect(partialPost(site.url, '/v1/priorities', { Authorization: `Bearer ${OPERATOR}` }, announced, 16 * 1024, 1500)).rejects.toThrow(/no answer/);
    // The whole unauthenticated body, not valid JSON, still gets 401, not a JSON parse error.
    const res = await fetch(`${site.url}/v1/priorities`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{'.repeat(announced) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('Authorization');
  }, 30_000);

  it('bounds compliance reports (an event run longer than 12 h is refused, naming the field) and validates their query', async () => {
    const now = site.clock.now();
    const long = await site.api<any>('/v1/grid/events', { method: 'POST', body: { capKw: 59, startsAt: new Date(now - 13 * 3_600_000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() } });
    expect(long.status).toBe(201);
    const r = await site.api<any>(`/v1/grid/events/${long.body.id}/report`, { token: VIEWER });
    expect(r.status).toBe(422);
    expect(r.body.errors[0]).toMatchObject({ field: 'id' });
    expect(r.body.detail).toMatch(/^id: the event has run 13\.0 h; a report covers at most 12 h/);
    const q = await site.api<any>(`/v1/grid/events/${long.body.id}/report?baseline=median&rows=200000`, { token: VIEWER });
    expect(q.status).toBe(400);
    expect(q.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['baseline', 'rows']);
    expect((await site.api(`/v1/grid/events/${long.body.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('limits job submissions per tenant with 429 problem+json, and failed authentications per client', async () => {
    await site.run(2000); // the lease, renewed on the virtual clock, after the real seconds above
    const statuses: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await site.api<any>('/v1/jobs', { method: 'POST', token: TENANT_B, body: { class: 'standard', gpus: 1, durationS: 10 } });
      statuses.push(r.status);
      if (r.status === 202) ids.push(r.body.id);
      if (r.status === 429) {
        expect(r.type).toMatch(/application\/problem\+json/);
        expect(r.body.detail).toMatch(/^jobs: too many/);
      }
    }
    // tenant-b submitted one job in the previous test: 3 more pass, then 429.
    expect(statuses).toEqual([202, 202, 202, 429, 429, 429]);
    // Another tenant has its own allowance.
    expect((await site.api('/v1/jobs', { method: 'POST', token: TENANT, body: { class: 'standard', gpus: 1, durationS: 10 } })).status).toBe(202);
    for (const id of ids) await site.api(`/v1/jobs/${id}`, { method: 'DELETE', token: TENANT_B });

    // Failed authentications: 5 per window per client address (the earlier 401s of this file, and
    // the request abandoned before its body was sent, count too), then 429 for its refusals.
    const fails: number[] = [];
    for (let i = 0; i < 6; i++) fails.push((await site.api('/v1/site', { token: `guess-${i}-${'y'.repeat(40)}` })).status);
    expect(fails[0]).toBe(401);
    expect(fails.slice(-3)).toEqual([429, 429, 429]);
    const blocked = await site.api<any>('/v1/site', { token: `guess-7-${'y'.repeat(40)}` });
    expect(blocked.status).toBe(429);
    expect(blocked.body.detail).toMatch(/^Authorization: too many/);
    // Only failures count: a valid token from the same address (a colleague behind the same
    // NAT) still gets in, and its requests, streams included, never count against it.
    expect((await site.api('/v1/site', { token: OPERATOR })).status).toBe(200);
  });
});

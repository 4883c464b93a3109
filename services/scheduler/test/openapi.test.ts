import { compileErrors, validate } from '@readme/openapi-parser';
import type { Express } from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, parseTokens } from '../src/index.js';
import { OPERATIONS } from '../src/http/openapi/operations.js';
import { openApiPath } from '../src/http/openapi/document.js';
import { OPERATOR, TENANT, TEST_TOKENS, startInProcessSite } from './in-process-site.js';

/** Every `METHOD path` the express app routes, found by walking its router stack (nested routers included). */
function routesOf(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [m, on] of Object.entries(layer.route.methods as Record<string, boolean>)) if (on && m !== '_all') out.push(`${m} ${layer.route.path}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: any[] } }).router.stack);
  return out;
}

describe('OpenAPI 3.1 document and list paging (scheduler in-process, real Redis)', () => {
  let site: Awaited<ReturnType<typeof startInProcessSite>>;
  let doc: any;

  beforeAll(async () => {
    site = await startInProcessSite({ miners: 12, gpuHosts: [{ id: 'gpu-1', gpus: 4 }, { id: 'gpu-2', gpus: 4 }], capW: 60_000 });
    await site.run(2000);
    const res = await fetch(`${site.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = await res.json();
  }, 60_000);
  afterAll(() => site?.stop(), 30_000);

  it('is served without a token and validates as OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc));
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
  });

  it('documents every route the app serves, and nothing it does not', () => {
    const app = createApi(site.s, parseTokens(TEST_TOKENS, 'test tokens'), pino({ level: 'silent' }));
    const served = routesOf(app).sort();
    expect(served.length).toBeGreaterThan(20);
    const documented = OPERATIONS.map((o) => `${o.method} ${o.path}`).sort();
    expect(documented).toEqual(served);
    for (const route of served) {
      const [method, path] = route.split(' ') as [string, string];
      expect(doc.paths[openApiPath(path).path]?.[method], route).toBeDefined();
    }
  });

  it('states roles, request bodies, responses and problems', () => {
    const post = doc.paths['/v1/grid/events'].post;
    expect(post.security).toEqual([{ bearer: ['operator'] }]);
    expect(post.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['startsAt', 'endsAt']));
    expect(post.responses['201'].content['application/json'].schema.properties.capKw).toBeDefined();
    expect(post.responses['400'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(doc.paths['/v1/jobs'].post.security).toEqual([{ bearer: ['tenant'] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    const params = doc.paths['/v1/jobs'].get.parameters.map((p: any) => p.name);
    expect(params).toEqual(expect.arrayContaining(['limit', 'cursor', 'state']));
    expect(doc.paths['/v1/devices/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
  });

  it('answers every parameterless GET with what the document says (the same zod schemas, checked on live answers)', async () => {
    const gets = OPERATIONS.filter((o) => o.method === 'get' && !o.path.includes(':'));
    expect(gets.length).toBeGreaterThan(10);
    for (const op of gets) {
      const res = await fetch(`${site.url}${op.path}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
      const schema = op.ok[res.status];
      expect(schema, `${op.path} answered ${res.status}, which the document does not list`).not.toBeUndefined();
      if (schema) {
        const parsed = schema.safeParse(await res.json());
        expect(parsed.success, `${op.path}: ${parsed.error?.message}`).toBe(true);
      } else {
        if (op.alsoServes) expect(res.headers.get('content-type'), op.path).toContain(op.alsoServes);
        await res.body?.cancel(); // an event stream never ends on its own
      }
    }
  });

  it('renders a reference page naming every operation', async () => {
    const res = await fetch(`${site.url}/v1/reference`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    for (const path of Object.keys(doc.paths)) expect(html).toContain(`<code>${path}</code>`);
  });

  it('pages devices with filters applied before the limit, and refuses a bad limit or cursor', async () => {
    const all = (await site.api<Array<{ id: string; kind: string }>>('/v1/devices')).body;
    expect(all.length).toBe(20);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const res: Response = await fetch(`${site.url}/v1/devices?kind=gpu&limit=3${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
      const page = (await res.json()) as Array<{ id: string; kind: string }>;
      expect(page.every((d) => d.kind === 'gpu')).toBe(true);
      seen.push(...page.map((d) => d.id));
      cursor = res.headers.get('x-next-cursor');
      if (!cursor) break;
      expect(page.length).toBe(3);
    }
    expect(seen).toEqual(all.filter((d) => d.kind === 'gpu').map((d) => d.id).sort());
    const bad = await site.api<any>('/v1/devices?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/application\/problem\+json/);
    expect(bad.body.errors[0].field).toBe('limit');
    expect((await site.api<any>('/v1/devices?cursor=%25%25')).body.errors[0].field).toBe('cursor');
    expect((await site.api<any>('/v1/jobs?cursor=bm9wZQ')).body.detail).toMatch(/^cursor: /);
    expect((await site.api<any>('/v1/hosts?silent=maybe')).status).toBe(400);
  });

  it('pages jobs filtered by state before the limit, jobs of the same millisecond neither lost nor repeated', async () => {
    // Submitted at one instant of the virtual clock: every job has the same queued time.
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await site.api<{ id: string }>('/v1/jobs', { method: 'POST', token: TENANT, body: { gpus: 4, durationS: 3600 } });
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    const cancelled = ids.filter((_, i) => i % 2 === 0);
    for (const id of cancelled) expect((await site.api(`/v1/jobs/${id}`, { method: 'DELETE', token: TENANT })).status).toBe(200);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const res: Response = await fetch(`${site.url}/v1/jobs?state=cancelled&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
      const page = (await res.json()) as Array<{ id: string; state: string }>;
      expect(page.every((j) => j.state === 'cancelled')).toBe(true);
      seen.push(...page.map((j) => j.id));
      cursor = res.headers.get('x-next-cursor');
      if (!cursor) break;
      expect(res.headers.get('link')).toContain(`cursor=${cursor}`);
    }
    expect(seen.sort()).toEqual([...cancelled].sort());
  });
});

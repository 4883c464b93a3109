import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { endpointUrl, runWorkload, type WorkloadLimits } from '@wattbroker/agent';
import { GpuJobSpecSchema, JobBodySchema, type GpuJobSpec } from '@wattbroker/contracts';

/** A loopback HTTP server and every request it got. */
async function server(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const s: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    handle(req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, hits,
    close: () => new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    }),
  };
}

/**
 * A job's workload reaches only its host's declared endpoints (real fetch, real loopback
 * servers). `forbidden` stands for whatever else is on the host's network (a metadata
 * service, an admin API): no job may make the agent call it, whatever it names.
 */
describe('workloads: no request outside the host\'s endpoints', () => {
  let forbidden: Awaited<ReturnType<typeof server>>;
  let llm: Awaited<ReturnType<typeof server>>;
  let limits: WorkloadLimits;
  const job = (workload: unknown): GpuJobSpec => GpuJobSpecSchema.parse({ id: 'j1', workload });
  const run = (spec: GpuJobSpec) => runWorkload(spec, 1, new AbortController().signal, limits);

  beforeAll(async () => {
    forbidden = await server((_req, res) => res.writeHead(200).end('secret'));
    llm = await server((req, res) => {
      if (req.url === '/v1/redirect') res.writeHead(302, { location: `${forbidden.url}/latest/meta-data` }).end();
      else if (req.url === '/v1/big') res.writeHead(200).end(Buffer.alloc(100_000));
      else if (req.url === '/v1/chunked-big') {
        res.writeHead(200); // no content-length: the cap holds while reading
        for (let i = 0; i < 20; i++) res.write(Buffer.alloc(10_000));
        res.end();
      } else if (req.url === '/v1/slow') setTimeout(() => res.writeHead(200).end('{}'), 5_000);
      else if (req.url === '/v1/missing') res.writeHead(404).end('nope');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    limits = { endpoints: { llm: `${llm.url}/`, prefixed: `${llm.url}/v1` }, maxResponseBytes: 65_536 };
  });
  afterAll(async () => {
    await forbidden?.close();
    await llm?.close();
  });
  beforeEach(() => {
    forbidden.hits.length = 0;
    llm.hits.length = 0;
  });

  it('calls the named endpoint with the path under it', async () => {
    await run(job({ endpoint: 'llm', path: '/v1/chat/completions', body: { model: 'm' } }));
    await run(job({ endpoint: 'prefixed', path: '/models', method: 'GET' }));
    expect(llm.hits).toEqual(['POST /v1/chat/completions', 'GET /v1/models']);
  });

  it('a URL, a protocol-relative or dot-segment path, an encoded slash: refused by the job schema (REST and queue), naming the field', () => {
    for (const path of [`${forbidden.url}/x`, `//127.0.0.1:${new URL(forbidden.url).port}/x`, '/../x', '/v1/../../x', '/v1/%2e%2e/x', '/v1/%2F/x', '/v1\\..\\x', 'v1/x', '/v1#x']) {
      const r = GpuJobSpecSchema.safeParse({ id: 'j1', workload: { endpoint: 'llm', path } });
      expect(r.success, path).toBe(false);
      expect(r.error!.issues[0]!.path, path).toEqual(['workload', 'path']);
    }
    // The old form (a URL) is refused at submission.
    const old = JobBodySchema.safeParse({ gpus: 1, workload: { url: `${forbidden.url}/x` } });
    expect(old.success).toBe(false);
    expect(old.error!.issues.map((i) => [...i.path, ...('keys' in i ? i.keys as string[] : [])].join('.'))).toEqual(expect.arrayContaining(['workload.endpoint', 'workload.url']));
  });

  it('an endpoint the host does not declare, or a path that would leave it after parsing: the job fails, nothing is called', async () => {
    await expect(run(job({ endpoint: 'metadata', path: '/latest' }))).rejects.toThrow(/workload\.endpoint: "metadata" is not an endpoint of this host \("llm", "prefixed"\)/);
    // Past the schema (e.g. a message built by hand): the resolver still refuses.
    expect(() => endpointUrl(limits.endpoints, 'prefixed', '/../x')).toThrow(/leaves endpoint "prefixed"/);
    expect(() => endpointUrl(limits.endpoints, 'llm', `//127.0.0.1:${new URL(forbidden.url).port}/x`)).toThrow(/single \//);
    expect(() => endpointUrl(limits.endpoints, 'llm', '@127.0.0.1/x')).toThrow(/single \//);
    expect(() => endpointUrl(limits.endpoints, '__proto__', '/x')).toThrow(/not an endpoint/);
    expect(forbidden.hits).toEqual([]);
    expect(llm.hits).toEqual([]);
  });

  it('a redirect (to the forbidden server) is refused, not followed', async () => {
    await expect(run(job({ endpoint: 'llm', path: '/v1/redirect' }))).rejects.toThrow(/answered a redirect \(302\): refused/);
    expect(llm.hits).toEqual(['POST /v1/redirect']);
    expect(forbidden.hits).toEqual([]);
  });

  it('a response over the size cap (declared or streamed) and one over the time limit fail the job', async () => {
    await expect(run(job({ endpoint: 'llm', path: '/v1/big' }))).rejects.toThrow(/answered more than 65536 bytes: refused/);
    await expect(run(job({ endpoint: 'llm', path: '/v1/chunked-big' }))).rejects.toThrow(/answered more than 65536 bytes: refused/);
    const t0 = Date.now();
    await expect(run(job({ endpoint: 'llm', path: '/v1/slow', timeoutS: 0.3 }))).rejects.toThrow(/did not answer within 0.3 s/);
    expect(Date.now() - t0).toBeLessThan(3_000);
    await expect(run(job({ endpoint: 'llm', path: '/v1/missing' }))).rejects.toThrow(/^inference endpoint "llm" answered 404$/);
  });
});

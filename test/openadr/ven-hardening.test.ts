import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { InputError } from '@wattbroker/contracts';
import { OpenAdrVen, type VenActions, type VenConfig } from '@wattbroker/scheduler';
import { oadrEvent, startTestVtn, type TestVtn } from './vtn-server.js';

/** A server that must never be reached: it counts every request (and what a body carried). */
async function startThief(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => { b += c.toString(); }).on('end', () => {
      hits.push(`${req.method} ${req.url} ${b}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'stolen', token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/token`, hits,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The VEN against a real HTTP VTN, its actions recorded, its log captured. */
function venFor(vtn: TestVtn, extra: Partial<VenConfig> = {}) {
  const caps: string[] = [];
  const log: string[] = [];
  const actions: VenActions = {
    upsertCap: async (id) => void caps.push(id), removeCap: async () => undefined, setPrices: async () => undefined,
    samples: async () => [], reported: async () => true, markReported: async () => undefined,
  };
  const sink = new Writable({ write(c: Buffer, _e, cb) { log.push(c.toString()); cb(); } });
  const ven = new OpenAdrVen({ vtnUrl: vtn.url, clientId: 'ven-1', clientSecret: 'ven-secret-1', programs: ['ERS-10'], allowHttp: true, ...extra }, actions, pino({ level: 'warn' }, sink));
  return { ven, caps, log };
}

describe('OpenADR VEN hardening (real HTTP VTN, 3.1.0 schema)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });
  const vtnWith = async (o: { tokenURL?: string; redirectTokenTo?: string } = {}) => {
    const vtn = await startTestVtn({ clientId: 'ven-1', clientSecret: 'ven-secret-1', programName: 'ERS-10', ...o });
    closers.push(() => vtn.close());
    return vtn;
  };

  it('refuses an http:// VTN unless allowed (tests), naming the field', async () => {
    const vtn = await vtnWith();
    const err = (() => {
      try {
        venFor(vtn, { allowHttp: false });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/vtnUrl: must be https:\/\//);
  });

  it('sends its client secret only to a token URL on the VTN\'s origin, unless one is configured', async () => {
    const thief = await startThief();
    closers.push(() => thief.close());
    const vtn = await vtnWith({ tokenURL: thief.url });
    const { ven, caps, log } = venFor(vtn);
    vtn.events.push(oadrEvent('ev-1', 'prog-1', new Date(Date.now() + 60_000), 60, 40));
    await ven.poll();
    expect(thief.hits).toEqual([]);
    expect(caps).toEqual([]);
    expect(log.join('')).toMatch(/authServerInfo\.tokenURL: origin http:\/\/127\.0\.0\.1:\d+ is not the VTN's/);
    // Configured explicitly, the operator trusts that endpoint.
    const trusted = venFor(vtn, { tokenUrl: thief.url });
    await trusted.ven.poll();
    expect(thief.hits).toHaveLength(1);
    expect(thief.hits[0]).toMatch(/^POST \/token .*client_secret=ven-secret-1/);
  });

  it('does not follow a redirect of its token request', async () => {
    const thief = await startThief();
    closers.push(() => thief.close());
    const vtn = await vtnWith({ redirectTokenTo: thief.url });
    const { ven, caps } = venFor(vtn);
    await ven.poll();
    expect(thief.hits).toEqual([]);
    expect(caps).toEqual([]);
  });

  it('uses no event that does not validate against the 3.1.0 schema, and names the field', async () => {
    const vtn = await vtnWith();
    const { ven, caps, log } = venFor(vtn);
    const good = oadrEvent('ev-ok', 'prog-1', new Date(Date.now() + 60_000), 60, 40);
    const bad = { ...oadrEvent('ev-bad', 'prog-1', new Date(Date.now() + 60_000), 60, 30), intervals: [{ id: 'zero', payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [30] }] }] };
    vtn.events.push(good, bad);
    await ven.poll();
    expect(caps).toEqual([]);
    expect(log.join('')).toMatch(/OpenADR VTN reply: events\[1\]\.intervals\[0\]\.id: must be integer/);
    vtn.events.splice(1, 1);
    await ven.poll();
    expect(caps).toEqual(['oadr-ev-ok-0']);
  });
});

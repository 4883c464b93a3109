import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_RUNS, FUZZ_SEED } from '@wattbroker/testkit';
import { LuxosClient, LuxosError } from '../src/index.js';

/**
 * Fuzzing what a miner answers, over real TCP into the LuxOS driver: the recorded replies of
 * a real miner (test/fixtures/luxos) broken in one place — a value replaced, a key dropped,
 * the text cut, bytes inserted — or replaced by other bytes. Whatever comes back, the driver
 * either returns a well-typed reading or throws a LuxosError; never anything else, never a
 * NaN or a wrong type in what it returns.
 */
const RUNS = Math.max(20, Math.round(FUZZ_RUNS / 5));
const SEED = FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {};
const dir = new URL('../../../test/fixtures/luxos/', import.meta.url);
const recordings = new Map<string, unknown>(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [f.replace('.json', ''), JSON.parse(readFileSync(new URL(f, dir), 'utf8'))]));

/** The reply a real miner gives to `cmd` (joined commands as LuxOS joins them). */
function recorded(cmd: string): Record<string, unknown> {
  if (!cmd.includes('+')) return structuredClone(recordings.get(cmd)) as Record<string, unknown>;
  return { ...Object.fromEntries(cmd.split('+').map((c) => [c, [structuredClone(recordings.get(c))]])), id: 1 };
}

/** Every path to a value in a JSON tree. */
function paths(v: unknown, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function setAt(root: unknown, path: Array<string | number>, value: unknown, drop: boolean): unknown {
  if (path.length === 0) return value;
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (drop) {
    if (Array.isArray(o)) o.splice(last as number, 1);
    else delete o[last];
  } else o[last] = value;
  return root;
}

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, '', 'abc', -1, 1e308, [], {}, [null], true, 'NaN', '12'), fc.integer(), fc.double({ noNaN: true }), fc.string({ maxLength: 10 }),
);

/** A broken reply to `cmd`, as the bytes sent. */
function brokenReply(cmd: string): fc.Arbitrary<Buffer> {
  const text = JSON.stringify(recorded(cmd));
  const all = paths(recorded(cmd));
  const nul = Buffer.from([0]);
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ i: fc.nat({ max: all.length - 1 }), v: junk, drop: fc.boolean() }).map(({ i, v, drop }) => Buffer.concat([Buffer.from(JSON.stringify(setAt(recorded(cmd), all[i]!, v, drop)) ?? ''), nul])) },
    { weight: 2, arbitrary: fc.nat({ max: text.length }).map((n) => Buffer.concat([Buffer.from(text.slice(0, n)), nul])) },
    { weight: 1, arbitrary: fc.record({ n: fc.nat({ max: text.length }), b: fc.uint8Array({ minLength: 1, maxLength: 16 }) }).map(({ n, b }) => Buffer.concat([Buffer.from(text.slice(0, n)), Buffer.from(b), Buffer.from(text.slice(n)), nul])) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.constant(Buffer.concat([Buffer.from(text.replace(/},{/g, '}{')), nul])) },
  );
}

describe('LuxOS replies into the driver under fuzzing (real TCP)', () => {
  let server: Server;
  let port = 0;
  let next: Buffer = Buffer.alloc(0);
  const tally = { ok: 0, errors: new Map<string, number>() };

  beforeAll(async () => {
    // A "miner" that answers every request with whatever the current case says, then closes.
    server = createServer((sock) => {
      sock.on('error', () => undefined);
      sock.once('data', () => sock.end(next));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    process.stdout.write(`LuxOS reply fuzz: ${tally.ok} readings, errors ${[...tally.errors].map(([k, n]) => `${k}×${n}`).join(' ')}\n`);
  });

  const client = () => new LuxosClient('127.0.0.1', port, { retries: 0, timeoutMs: 2000 });
  const typed = (v: unknown, t: string) => expect(typeof v).toBe(t);
  const finite = (v: unknown) => expect(Number.isFinite(v), `${String(v)} is not a finite number`).toBe(true);

  const cases: Array<[string, string, (c: LuxosClient) => Promise<void>]> = [
    ['telemetry', 'config+power+summary+devs', async (c) => {
      const t = await c.telemetry();
      typed(t.model, 'string'); typed(t.profile, 'string'); finite(t.powerW); finite(t.hashrateThs);
      for (const b of [t.ramping, t.sleeping, t.waking, t.atmEnabled]) typed(b, 'boolean');
    }],
    ['profiles', 'profiles', async (c) => {
      for (const p of await c.profiles()) {
        typed(p.name, 'string');
        for (const n of [p.step, p.frequencyMHz, p.voltageV, p.powerW, p.hashrateThs]) finite(n);
      }
    }],
    ['identity', 'version+config', async (c) => {
      const id = await c.identity();
      for (const v of Object.values(id)) typed(v, 'string');
    }],
  ];

  it.each(cases)('%s: a typed reading or a LuxosError, nothing else', async (_name, cmd, read) => {
    await fc.assert(fc.asyncProperty(brokenReply(cmd), async (bytes) => {
      next = bytes;
      try {
        await read(client());
        tally.ok++;
      } catch (e) {
        if (!(e instanceof LuxosError)) throw new Error(`not a LuxosError for reply ${JSON.stringify(bytes.toString('utf8').slice(0, 300))}: ${(e as Error).stack ?? String(e)}`);
        tally.errors.set(e.kind, (tally.errors.get(e.kind) ?? 0) + 1);
      }
    }), { numRuns: Math.ceil(RUNS / cases.length), ...SEED });
  }, 120_000);
});

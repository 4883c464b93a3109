import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '@wattbroker/contracts';
import { MeterError, ModbusMeter } from '../src/index.js';

/**
 * The Modbus meter driver against raw TCP servers that misbehave on purpose (the emulated
 * meter, which behaves, is tested against the driver in test/drivers). Every server answers
 * what `reply` returns for a request frame; `undefined` means say nothing.
 */
interface RawServer {
  port: number;
  connections: number;
  requests: Buffer[];
  reply: (request: Buffer, socket: Socket) => Buffer | undefined;
  close(): Promise<void>;
}

const servers: RawServer[] = [];
const meters: ModbusMeter[] = [];
afterEach(async () => {
  await Promise.all(meters.splice(0).map((m) => m.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function rawServer(reply: RawServer['reply']): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const raw: RawServer = {
    port: 0, connections: 0, requests: [], reply,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((socket) => {
    raw.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (frame) => {
      raw.requests.push(frame);
      const out = raw.reply(frame, socket);
      if (out) socket.write(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  raw.port = (server.address() as { port: number }).port;
  servers.push(raw);
  return raw;
}

/** A well-formed reply to a read request frame: the given register words. */
function registersReply(request: Buffer, words: number[]): Buffer {
  const out = Buffer.alloc(9 + words.length * 2);
  request.copy(out, 0, 0, 2);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(3 + words.length * 2, 4);
  out.writeUInt8(request.readUInt8(6), 6);
  out.writeUInt8(request.readUInt8(7), 7);
  out.writeUInt8(words.length * 2, 8);
  words.forEach((w, i) => out.writeUInt16BE(w, 9 + i * 2));
  return out;
}

function floatWords(value: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(value);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}

function meter(port: number, patch: Record<string, unknown> = {}): ModbusMeter {
  const m = new ModbusMeter({ host: '127.0.0.1', port, preset: 'sdm630', timeoutMs: 300, ...patch });
  meters.push(m);
  return m;
}

async function failure(p: Promise<unknown>): Promise<MeterError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MeterError);
    return e as MeterError;
  }
  throw new Error('expected the read to fail');
}

describe('ModbusMeter on the wire', () => {
  it('sends a standard read request and decodes the reply; the connection is kept between reads', async () => {
    const s = await rawServer((req) => registersReply(req, floatWords(412_345.5)));
    const m = meter(s.port, { unitId: 7 });
    expect((await m.read()).powerW).toBe(412_345.5);
    expect((await m.read()).words).toEqual(floatWords(412_345.5));
    // MBAP: transaction id, protocol 0, length 6, unit 7; PDU: function 04, address 0x0034, 2 registers.
    expect(s.requests[0]!.subarray(2).toString('hex')).toBe('0000' + '0006' + '07' + '04' + '0034' + '0002');
    expect(s.connections).toBe(1);
  });

  it('serialises concurrent reads on its one connection', async () => {
    const s = await rawServer((req) => registersReply(req, floatWords(1000 + req.readUInt16BE(0))));
    const m = meter(s.port);
    const readings = await Promise.all([m.read(), m.read(), m.read()]);
    expect(new Set(readings.map((r) => r.powerW)).size).toBe(3);
    expect(s.connections).toBe(1);
  });

  it('times out on a meter that never answers, and reconnects on the next read', async () => {
    const s = await rawServer(() => undefined);
    const m = meter(s.port);
    const started = Date.now();
    const e = await failure(m.read());
    expect(e.kind).toBe('timeout');
    expect(e.message).toBe(`meter 127.0.0.1:${s.port}: no reply within 300 ms (register 52, unit 1)`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.retryable).toBe(true);
    s.reply = (req) => registersReply(req, floatWords(5000));
    expect((await m.read()).powerW).toBe(5000);
    expect(s.connections).toBe(2);
  });

  it('calls garbage a protocol error at once, not after the timeout', async () => {
    const s = await rawServer(() => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const m = meter(s.port, { timeoutMs: 5000 });
    const started = Date.now();
    const e = await failure(m.read());
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/reply is not Modbus TCP \(protocol id 21584, length 12081; first bytes 485454502f312e3120343030\)/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reports a Modbus exception with its code, and keeps the connection', async () => {
    // Function 04 with the exception bit, code 02: the meter has no such register.
    const s = await rawServer((req) => Buffer.concat([req.subarray(0, 4), Buffer.from([0, 3, req[6]!, 0x84, 0x02])]));
    const m = meter(s.port);
    const e = await failure(m.read());
    expect(e).toMatchObject({ kind: 'exception', exceptionCode: 2, retryable: false });
    expect(e.message).toBe(`meter 127.0.0.1:${s.port}: Modbus exception 2 (illegal data address) reading input register 52 (float32) of unit 1`);
    await failure(m.read());
    expect(s.connections).toBe(1);
  });

  it('refuses a value out of range: NaN, negative on a load-only site, or above maxW', async () => {
    let value = Number.NaN;
    const s = await rawServer((req) => registersReply(req, floatWords(value)));
    const m = meter(s.port, { maxW: 1e6 });
    expect((await failure(m.read())).kind).toBe('out-of-range');
    value = -1200;
    const neg = await failure(m.read());
    expect(neg).toMatchObject({ kind: 'out-of-range', retryable: false });
    expect(neg.message).toMatch(/read -1200 W \(words c496 0000\), outside 0\.\.1000000 W: check the register map/);
    value = 2e6;
    expect((await failure(m.read())).kind).toBe('out-of-range');
    value = 999_000;
    expect((await m.read()).powerW).toBe(999_000);
    expect(s.connections).toBe(1);
  });

  it('says connection-refused when nothing listens, and unreachable when the meter hangs up mid-read', async () => {
    const gone = await rawServer(() => undefined);
    const port = gone.port;
    await gone.close();
    servers.splice(servers.indexOf(gone), 1);
    expect((await failure(meter(port).read())).kind).toBe('connection-refused');

    const s = await rawServer((_req, socket) => {
      socket.destroy();
      return undefined;
    });
    const e = await failure(meter(s.port, { timeoutMs: 5000 }).read());
    expect(e.kind).toBe('unreachable');
    expect(e.message).toMatch(/the meter closed the connection/);
  });

  it('close() ends a read in flight at once, and later reads fail', async () => {
    const s = await rawServer(() => undefined);
    const m = meter(s.port, { timeoutMs: 5000 });
    const started = Date.now();
    const pending = failure(m.read());
    await new Promise((r) => setImmediate(r)); // let the read get under way
    await m.close();
    expect((await pending).kind).toBe('unreachable');
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await failure(m.read())).message).toBe(`meter 127.0.0.1:${s.port}: closed`);
  });

  it('refuses a bad register map in its constructor, naming the field', () => {
    expect(() => new ModbusMeter({ host: 'm', registerMap: { function: 'input', address: 52, type: 'float' as 'float32' } })).toThrow(InputError);
    expect(() => new ModbusMeter({ host: 'm', registerMap: { function: 'input', address: 52, type: 'float32', scale: 0 } }))
      .toThrow('meter config: registerMap.scale: must be a finite number other than 0');
  });
});

import { createServer, type Server, type Socket } from 'node:net';

/**
 * A Modbus TCP server (server = "slave"), framed by hand so that it is a second, independent
 * implementation of the protocol the driver speaks through its library: if the two agree, the
 * driver reads real meters the same way. It answers function 03 (Read Holding Registers) and
 * 04 (Read Input Registers) from a register bank, with the standard exceptions:
 * 01 illegal function, 02 illegal data address, 03 illegal data value (quantity outside
 * 1..125 or a malformed request), and 0B "gateway target failed to respond" for another unit
 * id, as an RS-485 gateway in front of a single meter answers.
 *
 * MBAP header (Modbus Messaging on TCP/IP Implementation Guide V1.0b, 3.1.3): transaction id
 * (2 bytes, echoed), protocol id (2, always 0), length (2, bytes that follow: unit id + PDU),
 * unit id (1). A frame with another protocol id or an impossible length closes the connection.
 */
export interface RegisterBank {
  /** `count` register words from `address`, or undefined when any of them does not exist. */
  read(table: 'holding' | 'input', address: number, count: number): number[] | undefined;
}

export interface ModbusTcpServerOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly unitId: number;
  readonly bank: RegisterBank;
}

const MAX_READ = 125; // registers per read request (Modbus Application Protocol V1.1b3, 6.3)
const IDLE_CLOSE_MS = 120_000; // meters drop idle clients; ours too, so leaked clients do not pile up

export class ModbusTcpServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Requests answered, for tests and the log. */
  requests = 0;

  constructor(readonly opts: ModbusTcpServerOptions) {}

  /** Listen; resolves with the port. */
  async start(): Promise<number> {
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : this.opts.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_CLOSE_MS, () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 7) {
        const protocolId = buffer.readUInt16BE(2);
        const length = buffer.readUInt16BE(4);
        if (protocolId !== 0 || length < 2 || length > 254) {
          socket.destroy(); // not Modbus TCP: nothing sensible to answer
          return;
        }
        if (buffer.length < 6 + length) return; // wait for the rest of the frame
        const frame = buffer.subarray(0, 6 + length);
        buffer = buffer.subarray(6 + length);
        const unitId = frame.readUInt8(6);
        const pdu = this.answer(unitId, frame.subarray(7));
        const reply = Buffer.alloc(7 + pdu.length);
        frame.copy(reply, 0, 0, 2); // transaction id
        reply.writeUInt16BE(0, 2);
        reply.writeUInt16BE(pdu.length + 1, 4);
        reply.writeUInt8(unitId, 6);
        pdu.copy(reply, 7);
        this.requests++;
        socket.write(reply);
      }
    });
  }

  /** The response PDU for one request PDU. */
  private answer(unitId: number, pdu: Buffer): Buffer {
    const fn = pdu.readUInt8(0);
    const exception = (code: number) => Buffer.from([fn | 0x80, code]);
    if (unitId !== this.opts.unitId) return exception(0x0b);
    if (fn !== 0x03 && fn !== 0x04) return exception(0x01);
    if (pdu.length !== 5) return exception(0x03);
    const address = pdu.readUInt16BE(1);
    const count = pdu.readUInt16BE(3);
    if (count < 1 || count > MAX_READ) return exception(0x03);
    if (address + count > 0x10000) return exception(0x02);
    const words = this.opts.bank.read(fn === 0x03 ? 'holding' : 'input', address, count);
    if (!words) return exception(0x02);
    const out = Buffer.alloc(2 + count * 2);
    out.writeUInt8(fn, 0);
    out.writeUInt8(count * 2, 1);
    words.forEach((w, i) => out.writeUInt16BE(w & 0xffff, 2 + i * 2));
    return out;
  }
}

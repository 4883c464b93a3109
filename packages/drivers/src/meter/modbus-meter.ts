import { connect, type Socket } from 'node:net';
import modbusSerial from 'modbus-serial';
import { MeterConfigSchema, parseInput, registerWords, type MeterConfig, type MeterConfigInput } from '@wattbroker/contracts';
import { MODBUS_EXCEPTIONS, MeterError } from './meter-error.js';
import { decodeRegisters } from './register-codec.js';

export interface MeterReading {
  /** Active power at the point of connection, W (register value × scale). */
  powerW: number;
  /** The register words as read, for diagnosis. */
  words: number[];
  /** Epoch ms when the reply arrived. */
  at: number;
  /** This read's round trip, a new connection included. */
  elapsedMs: number;
}

// A CommonJS package: its typings put the class under `default` (which it also sets at run time).
const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

interface Link {
  readonly socket: Socket;
  readonly client: ModbusClient;
  /** Call before each request: the next bytes start a reply. */
  readonly expectReply: () => void;
}

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * The site meter at the point of connection, over Modbus TCP (`modbus-serial` frames the
 * requests; the socket is ours, so connecting, timing out and dropping are in our hands).
 *
 * - One connection, kept open between reads (meters accept only a few); any failure that may
 *   have left it out of step (timeout, garbage, a drop) closes it, and the next read opens a
 *   new one. A Modbus exception or an out-of-range value leaves it open.
 * - Every read ends within `timeoutMs`, connection included: never a hang.
 * - Reads are serialised: concurrent callers queue, each gets its own reading.
 * - Failures are `MeterError`s with a `kind` (see meter-error.ts).
 */
export class ModbusMeter {
  readonly config: MeterConfig;
  /** `host:port` for messages. */
  readonly address: string;
  private link: Link | undefined;
  /** A connection still being opened (dropped with the link when a read gives up). */
  private opening: Socket | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Fails the read in flight when the socket says something the Modbus client would not. */
  private tripwire: ((e: MeterError) => void) | undefined;
  private closed = false;

  /** Validates `config` (an `InputError` naming the field when it is wrong). */
  constructor(config: MeterConfigInput, source = 'meter config') {
    this.config = parseInput(MeterConfigSchema, config, source);
    this.address = `${this.config.host}:${this.config.port}`;
  }

  read(): Promise<MeterReading> {
    const next = this.queue.then(() => this.readOnce());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Close the connection; a read in flight and later reads fail at once. */
  async close(): Promise<void> {
    this.closed = true;
    this.tripwire?.(new MeterError('unreachable', 'closed', this.address));
    this.drop();
  }

  private async readOnce(): Promise<MeterReading> {
    if (this.closed) throw new MeterError('unreachable', 'closed', this.address);
    const started = Date.now();
    const { timeoutMs, registerMap: map } = this.config;
    const count = registerWords(map.type);
    let timer: NodeJS.Timeout | undefined;
    let phase: 'connect' | 'reply' = 'connect';
    const tripped = new Promise<never>((_, reject) => {
      this.tripwire = reject;
      timer = setTimeout(() => reject(new MeterError('timeout', phase === 'connect'
        ? `could not connect within ${timeoutMs} ms`
        : `no reply within ${timeoutMs} ms (register ${map.address}, unit ${this.config.unitId})`, this.address)), timeoutMs);
    });
    const exchange = (async () => {
      const link = await this.connectLink();
      phase = 'reply';
      link.expectReply();
      const res = map.function === 'holding'
        ? await link.client.readHoldingRegisters(map.address, count)
        : await link.client.readInputRegisters(map.address, count);
      return res.data;
    })();
    // Whichever loses the race must not surface as an unhandled rejection.
    exchange.catch(() => undefined);
    tripped.catch(() => undefined);
    let words: number[];
    try {
      words = await Promise.race([exchange, tripped]);
    } catch (e) {
      const err = e instanceof MeterError ? e : this.classify(e);
      // After an exception reply the stream is still in step; after anything else it may not be.
      if (err.kind !== 'exception') this.drop();
      throw err;
    } finally {
      clearTimeout(timer);
      this.tripwire = undefined;
    }
    if (words.length !== count) {
      this.drop();
      throw new MeterError('protocol', `expected ${count} register(s), got ${words.length}`, this.address);
    }
    const powerW = decodeRegisters(words, map) * map.scale;
    if (!Number.isFinite(powerW) || powerW < this.config.minW || powerW > this.config.maxW) {
      throw new MeterError('out-of-range', `read ${powerW} W (words ${words.map(hex).join(' ')}), outside ${this.config.minW}..${this.config.maxW} W: check the register map (address, type, wordOrder, scale)`, this.address);
    }
    const at = Date.now();
    return { powerW, words, at, elapsedMs: at - started };
  }

  private connectLink(): Promise<Link> {
    if (this.link && !this.link.socket.destroyed) return Promise.resolve(this.link);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.config.host, port: this.config.port });
      this.opening = socket;
      // A read that timed out while connecting has dropped this socket: it must not become the link.
      const abandoned = () => this.opening !== socket;
      socket.once('error', (e: NodeJS.ErrnoException) => {
        socket.destroy();
        reject(this.classify(e));
      });
      socket.once('connect', () => {
        if (abandoned()) return;
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        const expectReply = this.watch(socket);
        const client = new ModbusRTU();
        client.setID(this.config.unitId);
        client.on('error', () => undefined); // surfaced through the read's own callbacks
        client.linkTCP(socket, { port: this.config.port }).then(() => {
          if (abandoned()) return;
          this.opening = undefined;
          this.link = { socket, client, expectReply };
          resolve(this.link);
        }, (e: unknown) => {
          socket.destroy();
          reject(this.classify(e));
        });
      });
    });
  }

  /**
   * What `modbus-serial` does not report: a peer that closes the connection, and bytes
   * that are not Modbus TCP at all (it would wait for a frame length that never comes).
   */
  private watch(socket: Socket): () => void {
    // Only the current connection speaks for the read in flight: a socket we dropped after a
    // failure closes later, when the next read may already be under way on a new one.
    const trip = (e: MeterError) => {
      if (this.link?.socket === socket) this.tripwire?.(e);
    };
    let frameStart = false;
    socket.on('data', (chunk: Buffer) => {
      // We send one request at a time, so a reply's first chunk starts an MBAP header:
      // protocol id 0 and a length of 2..254 (unit id + PDU).
      if (frameStart && chunk.length >= 6) {
        const protocolId = chunk.readUInt16BE(2);
        const length = chunk.readUInt16BE(4);
        if (protocolId !== 0 || length < 2 || length > 254) {
          trip(new MeterError('protocol', `reply is not Modbus TCP (protocol id ${protocolId}, length ${length}; first bytes ${chunk.subarray(0, 12).toString('hex')})`, this.address));
          return;
        }
      }
      frameStart = false;
    });
    socket.on('error', (e: NodeJS.ErrnoException) => trip(this.classify(e)));
    socket.on('close', () => {
      trip(new MeterError('unreachable', 'the meter closed the connection', this.address));
      if (this.link?.socket === socket) this.link = undefined;
    });
    return () => {
      frameStart = true;
    };
  }

  private classify(e: unknown): MeterError {
    const err = e as Omit<NodeJS.ErrnoException, 'errno'> & { modbusCode?: number; errno?: unknown };
    if (typeof err.modbusCode === 'number') {
      const name = MODBUS_EXCEPTIONS[err.modbusCode] ?? 'unknown exception';
      return new MeterError('exception', `Modbus exception ${err.modbusCode} (${name}) reading ${this.describeRegister()}`, this.address, err.modbusCode, { cause: e });
    }
    if (err.code === 'ECONNREFUSED') return new MeterError('connection-refused', 'connection refused (nothing listens on that port: is Modbus TCP enabled?)', this.address, undefined, { cause: e });
    if (err.code && UNREACHABLE.has(err.code)) return new MeterError('unreachable', `${err.code}: ${err.message}`, this.address, undefined, { cause: e });
    if (err.errno === 'ETIMEDOUT') return new MeterError('timeout', err.message, this.address, undefined, { cause: e });
    return new MeterError('protocol', err.message ?? String(e), this.address, undefined, { cause: e });
  }

  private describeRegister(): string {
    const m = this.config.registerMap;
    return `${m.function} register ${m.address} (${m.type}) of unit ${this.config.unitId}`;
  }

  private drop(): void {
    const { link, opening } = this;
    this.link = undefined;
    this.opening = undefined;
    link?.socket.destroy();
    opening?.destroy();
  }
}

const hex = (w: number) => w.toString(16).padStart(4, '0');

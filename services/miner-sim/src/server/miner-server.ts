import { createServer, type Server, type Socket } from 'node:net';
import type { EmulatedMiner } from '../miner/emulated-miner.js';
import { RequestScanner } from './request-scanner.js';

/** A text-form request goes unanswered this long without a newline before we take it as is. */
const TEXT_IDLE_MS = 150;
/** A request that never completes is answered "Invalid JSON" after this long. */
const REQUEST_IDLE_MS = 3000;
/** With the no-close fault, a socket is still closed after this long. */
const NO_CLOSE_MAX_MS = 30_000;

/**
 * The TCP side of one emulated miner: one request and one reply per connection, compact
 * JSON + one NUL, then close, as LuxOS does; and the wire faults of `miner.faults`.
 */
export class MinerServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly miner: EmulatedMiner,
    readonly host: string,
  ) {}

  get listening(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.miner.port, backlog: 64 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Apply the `refuse` fault: stop or resume listening. */
  async sync(): Promise<void> {
    if (this.miner.faults.refuse && this.server) await this.stop();
    else if (!this.miner.faults.refuse && !this.server) await this.start();
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (this.miner.faults.drop) {
      // Accept and say nothing: the client's timeout has to catch it.
      socket.resume();
      return;
    }
    const scanner = new RequestScanner();
    let answered = false;
    let idle: NodeJS.Timeout | undefined;
    const answer = (kind: 'json' | 'text', text: string) => {
      if (answered) return;
      answered = true;
      clearTimeout(idle);
      void this.reply(socket, this.parse(kind, text));
    };
    const arm = (ms: number) => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        const r = scanner.flush();
        if (r.kind === 'incomplete') socket.destroy();
        else answer(r.kind, r.text);
      }, ms);
    };
    arm(REQUEST_IDLE_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (answered) return;
      const r = scanner.push(chunk);
      if (r.kind !== 'incomplete') answer(r.kind, r.text);
      else arm(/^\s*[{[]/.test(chunk) ? REQUEST_IDLE_MS : TEXT_IDLE_MS);
    });
    socket.on('end', () => {
      const r = scanner.flush();
      if (r.kind !== 'incomplete') answer(r.kind, r.text);
    });
  }

  private parse(kind: 'json' | 'text', text: string): unknown {
    if (kind === 'text') {
      const [command, ...rest] = text.split('|');
      return { command: command!.trim(), ...(rest.length ? { parameter: rest.join('|') } : {}) };
    }
    try {
      return JSON.parse(text);
    } catch {
      return Symbol.for('invalid-json');
    }
  }

  private async reply(socket: Socket, request: unknown): Promise<void> {
    const f = this.miner.faults;
    const reply = this.miner.handle(typeof request === 'symbol' ? null : request);
    if (f.slowMs > 0) await new Promise((r) => setTimeout(r, f.slowMs));
    if (socket.destroyed) return;
    let body = JSON.stringify(reply);
    if (f.quirk) body = body.replaceAll('},{', '}{');
    if (f.garble) {
      socket.end(Buffer.concat([Buffer.from('\u0007\u00ffSTATUS=S,When=' + Date.now() + '|garbled\u0001'), Buffer.from([0])]));
      return;
    }
    if (f.truncate) {
      socket.end(body.slice(0, Math.floor(body.length / 2)));
      return;
    }
    if (f.noNul) {
      socket.end(body);
      return;
    }
    if (f.noClose) {
      socket.write(body + '\0');
      setTimeout(() => socket.destroy(), NO_CLOSE_MAX_MS).unref();
      return;
    }
    socket.end(body + '\0');
  }
}

import { connect } from 'node:net';
import { LuxosError, ReplyTooLargeError } from './errors.js';

/** Longest reply read from a miner (a full `config+power+summary+devs` is a few kB). */
export const MAX_REPLY_BYTES = 256 * 1024;

export interface TransportOptions {
  /** Whole exchange (connect, send, read to NUL/EOF). Luxor's own tool uses 3 s. */
  readonly timeoutMs?: number;
  /**
   * Reply size cap: one faulty or hostile miner must not exhaust the agent's memory (an
   * agent talks to hundreds at once). @defaultValue MAX_REPLY_BYTES
   */
  readonly maxReplyBytes?: number;
}

/**
 * One request on one connection, as the firmware expects: send the request, read until the
 * first NUL or EOF, whichever comes first (some firmwares omit the NUL, some never close),
 * and return the text without the NUL.
 */
export function exchange(host: string, port: number, request: string, opts: TransportOptions = {}): Promise<string> {
  const address = `${host}:${port}`;
  const timeoutMs = opts.timeoutMs ?? 3000;
  const maxBytes = opts.maxReplyBytes ?? MAX_REPLY_BYTES;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const socket = connect({ host, port });
    const finish = (err: LuxosError | undefined, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(text!);
    };
    const timer = setTimeout(() => {
      const got = Buffer.concat(chunks).length;
      finish(new LuxosError('timeout', `no complete reply within ${timeoutMs} ms (${got} bytes received)`, address));
    }, timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      const nul = chunk.indexOf(0);
      const part = nul >= 0 ? chunk.subarray(0, nul) : chunk;
      received += part.length;
      if (received > maxBytes) return finish(new ReplyTooLargeError(address, maxBytes));
      chunks.push(part);
      if (nul >= 0) finish(undefined, Buffer.concat(chunks).toString('utf8'));
    });
    socket.on('end', () => finish(undefined, Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const unreachable = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'];
      const kind = unreachable.includes(e.code ?? '') && chunks.length === 0 ? 'unreachable' : 'protocol';
      finish(new LuxosError(kind, `${e.code ?? 'socket error'}: ${e.message}`, address, { cause: e }));
    });
  });
}

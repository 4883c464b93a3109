import { connect } from 'node:net';
import { LuxosError } from './errors.js';

export interface TransportOptions {
  /** Whole exchange (connect, send, read to NUL/EOF). Luxor's own tool uses 3 s. */
  readonly timeoutMs?: number;
}

/**
 * One request on one connection, as the firmware expects: send the request, read until the
 * first NUL or EOF, whichever comes first (some firmwares omit the NUL, some never close),
 * and return the text without the NUL.
 */
export function exchange(host: string, port: number, request: string, opts: TransportOptions = {}): Promise<string> {
  const address = `${host}:${port}`;
  const timeoutMs = opts.timeoutMs ?? 3000;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
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
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        chunks.push(chunk.subarray(0, nul));
        finish(undefined, Buffer.concat(chunks).toString('utf8'));
      } else chunks.push(chunk);
    });
    socket.on('end', () => finish(undefined, Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const unreachable = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'];
      const kind = unreachable.includes(e.code ?? '') && chunks.length === 0 ? 'unreachable' : 'protocol';
      finish(new LuxosError(kind, `${e.code ?? 'socket error'}: ${e.message}`, address, { cause: e }));
    });
  });
}

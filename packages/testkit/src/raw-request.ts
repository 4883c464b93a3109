import { connect } from 'node:net';

export interface RawReply {
  /** Bytes received, as text (NUL kept). */
  text: string;
  /** Whether the server closed the connection. */
  closed: boolean;
}

/**
 * Send raw bytes to a TCP server and collect what comes back until it closes or `waitMs`
 * passes: for testing exact wire behaviour (framing, NUL, close) without the driver.
 */
export function rawRequest(port: number, bytes: string | Buffer, { waitMs = 3000, halfClose = false } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('utf8'), closed: false });
    }, waitMs);
    socket.on('connect', () => {
      socket.write(bytes);
      if (halfClose) socket.end();
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('utf8'), closed: true });
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** JSON body of a reply (the text up to the NUL). */
export function replyJson(r: RawReply): Record<string, any> {
  const nul = r.text.indexOf('\0');
  return JSON.parse(nul >= 0 ? r.text.slice(0, nul) : r.text) as Record<string, any>;
}

import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Cut the link: drop every open connection and refuse new ones, as a failed switch would. */
  cut(): void;
  /** Let connections through again. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy to `target` that a test can cut and restore: the network fault between
 * a process and the server it talks to (e.g. agents cut off from Redis), with both still up.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let isCut = false;
  const server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      isCut = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      isCut = false;
    },
    close: () => new Promise<void>((resolve) => {
      isCut = true;
      for (const s of open) s.destroy();
      server.close(() => resolve());
    }),
  };
}

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { withCredentials } from './acl.js';
import { openRedis } from './redis.js';

export interface EmbeddedRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  /** Keep data in AOF (everysec), as production does. @defaultValue true */
  readonly appendOnly?: boolean;
  /** Data directory; a fresh temporary one by default (removed on stop). */
  readonly dir?: string;
  /** A fixed loopback port (e.g. to restart a server where its clients expect it); a free one by default. */
  readonly port?: number;
  /**
   * Users and rules (a file from `aclFile()`): the server starts with ACLs on, the default
   * user off, and `url` logs in as `user` (the scheduler, for tests and the demo).
   */
  readonly acl?: { readonly file: string; readonly user: string; readonly password: string };
  /**
   * TLS only (no plain port): the server's certificate and key, the CA that signed them and
   * the clients' certificates (PEM files); clients must present one. `url` is `rediss://`.
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

/**
 * What to do when `redis-server` is missing, in one line. `scripts/lib/setup.sh` prints the
 * same line (a test keeps the two equal).
 */
export const REDIS_SERVER_HOWTO =
  'redis-server not found on PATH: install it (Debian/Ubuntu: sudo apt-get install -y redis-server; Fedora: sudo dnf install -y redis; macOS: brew install redis)';

/** Whether a `redis-server` can be started from PATH. */
export function redisServerOnPath(): boolean {
  return !spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error;
}

/**
 * A private redis-server on a free loopback port, for the demo and tests: never a shared
 * instance, so nothing is ever flushed that belongs to someone else. Needs `redis-server`
 * on PATH (`./scripts/demo` and `./scripts/test` install it where they can).
 */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  if (!redisServerOnPath()) throw new Error(REDIS_SERVER_HOWTO);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'wattbroker-redis-'));
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? await freeLoopbackPort();
    const args = [
      ...(opts.tls
        ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.cert, '--tls-key-file', opts.tls.key, '--tls-ca-cert-file', opts.tls.ca, '--tls-auth-clients', 'yes']
        : ['--port', String(port)]), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', opts.appendOnly === false ? 'no' : 'yes', '--appendfsync', 'everysec',
      '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning',
      ...(opts.acl ? ['--aclfile', opts.acl.file] : []),
    ];
    // A small shell watchdog owns the server: it stops it on SIGTERM, and also when this
    // process dies without cleaning up (a test killed on timeout), so no private server is
    // ever left behind.
    const watchdog = `redis-server "$@" & r=$!; trap 'kill $r 2>/dev/null; wait $r; exit 0' TERM INT; ` +
      `while kill -0 ${process.pid} 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 1; done; kill $r 2>/dev/null; wait $r`;
    const child = spawn('sh', ['-c', watchdog, 'sh', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const plain = `${opts.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`;
    const url = opts.acl ? withCredentials(plain, opts.acl.user, opts.acl.password) : plain;
    const tls = opts.tls ? { ca: readFileSync(opts.tls.ca), cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) } : undefined;
    const ready = await waitReady(url, child, tls);
    if (!ready) {
      child.kill('SIGKILL');
      if (attempt < 5 && opts.port === undefined) continue;
      throw new Error(`redis-server did not start on port ${port}: ${stderr.trim()}`);
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      url, port, dir, pid: child.pid!,
      async stop() {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
        if (ownDir) rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

async function waitReady(url: string, child: ReturnType<typeof spawn>, tls: ConnectionOptions | undefined): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && child.exitCode === null) {
    const r = openRedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(tls ? { tls } : {}) });
    r.on('error', () => undefined);
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') return true;
    } catch {
      // not up yet
    } finally {
      r.disconnect();
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  return false;
}

/** A loopback port that was free a moment ago (the OS picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

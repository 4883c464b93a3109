import { freeLoopbackPort } from '@wattbroker/bus';
import { createServer } from 'node:net';

/** A loopback port that was free a moment ago (the OS picks it). */
export const freePort = freeLoopbackPort;

/**
 * A base port with `count` consecutive ports after it that look free. Ranges are drawn
 * at random below the ephemeral range so parallel test files rarely collide;
 * callers still retry on EADDRINUSE.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the ephemeral range (32768+), where outgoing connections take their ports.
    const base = 10000 + Math.floor(Math.random() * (22000 - count));
    const probes = new Set(Array.from({ length: Math.min(count, 8) }, (_, i) => base + Math.floor((i * count) / Math.min(count, 8))));
    const ok = await Promise.all([...probes].map(isFree));
    if (ok.every(Boolean)) return base;
  }
  throw new Error(`no free range of ${count} ports found`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port }, () => s.close(() => resolve(true)));
  });
}

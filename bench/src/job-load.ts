/**
 * The admission benchmark's load generator, in a process of its own (as tenants are). Two
 * kinds of load, paced at RATE per second, COUNT of them:
 * - `api URL TOKEN`: GPU jobs of 1 GPU × 0.5 s submitted to the scheduler's REST API;
 * - `bull REDIS_URL`: bare BullMQ jobs added to the `bench-bare` queue (the baseline).
 * Prints one JSON line per job with the time it started the request on the shared wall clock
 * (performance.timeOrigin + performance.now(), sub-millisecond), then {"done":true}.
 * usage: job-load.ts api URL TOKEN RATE COUNT | job-load.ts bull REDIS_URL RATE COUNT
 */
import { Queue } from 'bullmq';
import { openRedis } from '@wattbroker/bus';

const [mode, target, ...rest] = process.argv.slice(2);
const token = mode === 'api' ? rest.shift()! : '';
const rate = Number(rest[0]);
const count = Number(rest[1]);
const wallNow = () => performance.timeOrigin + performance.now();

const queue = mode === 'bull' ? new Queue('bench-bare', { connection: openRedis(target!), prefix: '{bench}' }) : undefined;
const submit = async (i: number): Promise<{ id?: string; refused?: unknown }> => {
  if (queue) return { id: (await queue.add('x', { i }, { removeOnComplete: true })).id! };
  const res = await fetch(`${target}/v1/jobs`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ gpus: 1, durationS: 0.5 }),
  });
  const body = (await res.json()) as { id?: string; detail?: string };
  return body.id ? { id: body.id } : { refused: body.detail ?? res.status };
};

const start = performance.now();
const pending: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  const wait = start + (i * 1000) / rate - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  pending.push((async () => {
    const t0 = wallNow();
    const r = await submit(i);
    process.stdout.write(JSON.stringify(r.id ? { id: r.id, t0 } : r) + '\n');
  })());
}
await Promise.all(pending);
await queue?.close();
process.stdout.write('{"done":true}\n');
process.exit(0);

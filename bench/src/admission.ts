/**
 * `pnpm bench:admission [--json]`: GPU job submit → running ("admitted": its GPUs' limits
 * raised after the miners' shed is confirmed) latency through the real control plane (HTTP
 * API, scheduler, Redis, BullMQ, agents) with devices that confirm instantly, at 10 and 100
 * jobs/s; beside, in the same run, a bare BullMQ add → process → completed round trip on the
 * same Redis. The load generator (the tenants) runs in a process of its own; times are taken
 * on the shared wall clock (performance.timeOrigin + now). Loopback only, bounded in count
 * and time.
 */
import { Worker } from 'bullmq';
import { pino } from 'pino';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openRedis, startEmbeddedRedis } from '@wattbroker/bus';
import { Scheduler, createApi, parseTokens } from '@wattbroker/scheduler';
import { tokenEntry } from '@wattbroker/contracts';
import { randomBytes } from 'node:crypto';
import { InstantMiners } from './instant-devices.js';
import { machine, percentile, progress, wantsJson } from './stats.js';

const RATES = [
  { perSecond: 10, jobs: 100 },
  { perSecond: 100, jobs: 500 },
];
const TOKEN = randomBytes(24).toString('hex');
const logger = pino({ level: 'silent' });

interface Row {
  perSecond: number;
  jobs: number;
  admitP50Ms: number;
  admitP99Ms: number;
  bullP50Ms: number;
  bullP99Ms: number;
  overheadP50Ms: number;
  overheadP99Ms: number;
  /** Overhead p99 ÷ the bare round trip's p99 (target: ≤ 2). */
  overheadVsBareP99: number;
  /** Jobs whose admission waited for a miner shed to be confirmed. */
  waitedForShed: number;
  /** The same figures over the jobs that did not wait for a shed (the scheduler's own path). */
  directP99Ms: number;
  directOverheadVsBareP99: number;
}


/** Run the load generator in its own process; resolves with job id → request time (wall clock). */
function runLoad(args: string[], perSecond: number, jobs: number): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', fileURLToPath(new URL('./job-load.ts', import.meta.url)), ...args, String(perSecond), String(jobs)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const submitted = new Map<string, number>();
    let buffer = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, nl)) as { id?: string; t0?: number; refused?: unknown; done?: boolean };
        buffer = buffer.slice(nl + 1);
        if (line.id) submitted.set(line.id, line.t0!);
        else if (line.refused !== undefined) progress(`  refused: ${String(line.refused)}`);
      }
    });
    child.once('exit', (code) => (code === 0 ? resolve(submitted) : reject(new Error(`load generator exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const redis = await startEmbeddedRedis();
  progress(`private redis-server on 127.0.0.1:${redis.port} (AOF everysec)`);
  // The baseline: a bare BullMQ worker in this process (where the scheduler runs), fed by a
  // producer process at the same rates, measured under the same load as the scheduler (below).
  const completedAt = new Map<string, number>();
  const bullWorker = new Worker('bench-bare', async () => undefined, { connection: openRedis(redis.url), prefix: '{bench}', concurrency: 1 });
  bullWorker.on('completed', (job) => completedAt.set(job.id!, performance.timeOrigin + performance.now()));
  await bullWorker.waitUntilReady();

  const scheduler = new Scheduler({
    redisUrl: redis.url, logger, contractCapW: 1, marginW: 0, tickMs: 50,
    cooling: { fixedW: 0, fractionOfIt: 0.1 }, policy: { hysteresisW: 2000, minDwellMs: 1000 },
  });
  // Agents in two processes of their own (2 ASIC hosts × 200 miners, 4 GPU hosts × 64 GPUs).
  const agentProcs = ['asic 2', 'gpu 4'].map((spec) => spawn(process.execPath,
    ['--conditions=development', '--import', 'tsx', fileURLToPath(new URL('./instant-agents.ts', import.meta.url)), redis.url, ...spec.split(' ')],
    { stdio: ['ignore', 'pipe', 'inherit'] }));
  await Promise.all(agentProcs.map((p) => new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (code) => reject(new Error(`instant agents exited (${code})`)));
  })));
  const hostCount = 6;
  const minersW = new InstantMiners(200, 'a0', 1).stockW() + new InstantMiners(200, 'a1', 2).stockW();
  // Contract: the miners' stock draw plus idle GPUs, plus cooling: the site starts full, so
  // every job needs a shed first.
  const capW = (minersW + 256 * 200) * 1.1;
  await scheduler.start();
  await scheduler.settings.setContract({ capKw: capW / 1000, marginKw: 0 });
  const app = createApi(scheduler, parseTokens(tokenEntry('bench', 'operator', TOKEN), 'bench tokens'), logger, { rateLimits: { jobSubmissions: 1_000_000 } });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const api = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  progress('waiting for registrations and the miners to fill the contract…');
  for (;;) {
    const s = scheduler.read.sample();
    if (scheduler.read.hosts().length === hostCount && s.siteW > 0.95 * s.effectiveCapW) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  const wallNow = () => performance.timeOrigin + performance.now();
  const running = new Map<string, number>();
  const admittingAt = new Map<string, number>();
  const queuedAt = new Map<string, number>();
  scheduler.on('job:transition', (t) => {
    if (t.to === 'running') running.set(t.job.id, wallNow());
    if (t.to === 'admitting') admittingAt.set(t.job.id, wallNow());
    if (t.to === 'queued') queuedAt.set(t.job.id, wallNow());
  });

  const rows: Row[] = [];
  for (const { perSecond, jobs } of RATES) {
    progress(`${perSecond} jobs/s × ${jobs}: bare BullMQ add → process → completed, from a producer process…`);
    const added = await runLoad(['bull', redis.url], perSecond, jobs);
    while ([...added.keys()].some((id) => !completedAt.has(id))) await new Promise((r) => setTimeout(r, 20));
    const bull = [...added].map(([id, t0]) => completedAt.get(id)! - t0);
    progress(`${perSecond} jobs/s × ${jobs}: GPU jobs through the API, from a load generator process…`);
    const submitted = await runLoad(['api', api, TOKEN], perSecond, jobs);
    const deadline = Date.now() + 60_000;
    while ([...submitted.keys()].some((id) => !running.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const admit = [...submitted].filter(([id]) => running.has(id)).map(([id, t0]) => running.get(id)! - t0);
    const a1 = [...submitted].filter(([id]) => admittingAt.has(id)).map(([id, t0]) => admittingAt.get(id)! - t0);
    const a2 = [...submitted].filter(([id]) => admittingAt.has(id) && running.has(id)).map(([id]) => running.get(id)! - admittingAt.get(id)!);
    // Admitted in the step that admitted them (no shed to wait for): the scheduler's own path.
    const direct = [...submitted].filter(([id]) => running.has(id) && running.get(id)! - admittingAt.get(id)! < 0.01).map(([id, t0]) => running.get(id)! - t0);
    const q1 = [...submitted].filter(([id]) => queuedAt.has(id)).map(([id, t0]) => queuedAt.get(id)! - t0);
    const q2 = [...submitted].filter(([id]) => queuedAt.has(id) && admittingAt.has(id)).map(([id]) => admittingAt.get(id)! - queuedAt.get(id)!);
    progress(`  submit→queued p50 ${percentile(q1, 50).toFixed(1)} p99 ${percentile(q1, 99).toFixed(1)}; queued→admitting p50 ${percentile(q2, 50).toFixed(1)} p99 ${percentile(q2, 99).toFixed(1)}`);
    progress(`  submit→admitting p50 ${percentile(a1, 50).toFixed(1)} p99 ${percentile(a1, 99).toFixed(1)}; admitting→running p50 ${percentile(a2, 50).toFixed(1)} p99 ${percentile(a2, 99).toFixed(1)}`);
    if (admit.length < jobs) progress(`  warning: ${jobs - admit.length} jobs not admitted within 60 s`);
    progress(`  submit→running p90 ${percentile(admit, 90).toFixed(1)} p95 ${percentile(admit, 95).toFixed(1)} max ${Math.max(...admit).toFixed(1)}`);
    const worst = [...submitted].filter(([id]) => running.has(id)).sort((a, b) => (running.get(b[0])! - b[1]) - (running.get(a[0])! - a[1])).slice(0, 5);
    for (const [id, t0] of worst) {
      progress(`  slow ${id}: queued +${(queuedAt.get(id)! - t0).toFixed(1)} admitting +${(admittingAt.get(id)! - t0).toFixed(1)} running +${(running.get(id)! - t0).toFixed(1)} ms (at ${(t0 % 100_000).toFixed(0)})`);
    }

    const p = (xs: number[], q: number) => Math.round(percentile(xs, q) * 100) / 100;
    rows.push({
      perSecond, jobs,
      admitP50Ms: p(admit, 50), admitP99Ms: p(admit, 99), bullP50Ms: p(bull, 50), bullP99Ms: p(bull, 99),
      overheadP50Ms: Math.round((p(admit, 50) - p(bull, 50)) * 100) / 100, overheadP99Ms: Math.round((p(admit, 99) - p(bull, 99)) * 100) / 100,
      overheadVsBareP99: Math.round(((p(admit, 99) - p(bull, 99)) / p(bull, 99)) * 100) / 100,
      waitedForShed: a2.filter((x) => x >= 0.01).length,
      directP99Ms: p(direct, 99),
      directOverheadVsBareP99: Math.round(((p(direct, 99) - p(bull, 99)) / p(bull, 99)) * 100) / 100,
    });
    // Let the jobs finish and the miners refill before the next rate.
    await new Promise((r) => setTimeout(r, 4000));
  }

  await bullWorker.close();
  server.close();
  for (const p of agentProcs) {
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }
  await scheduler.stop();
  await redis.stop();

  const result = { benchmark: 'admission', machine: machine(), rows };
  if (wantsJson) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write([
      `admission benchmark — ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, ${result.machine.date}`,
      '400 instant miners on 2 agents, 256 GPUs on 4 agents (agents in two processes of their own, the load generator in a third); the site starts full; jobs of 1 GPU × 0.5 s.',
      'A job that needs power waits for its miners\' shed to be confirmed by telemetry; "shed waits" counts those.',
      '',
      '| rate | jobs | shed waits | submit → running p50 | p99 | bare BullMQ round trip p50 | p99 | overhead p50 | overhead p99 | overhead p99 ÷ bare p99 | without shed waits: p99 | overhead ÷ bare |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.perSecond}/s | ${r.jobs} | ${r.waitedForShed} | ${r.admitP50Ms} ms | ${r.admitP99Ms} ms | ${r.bullP50Ms} ms | ${r.bullP99Ms} ms | ${r.overheadP50Ms} ms | ${r.overheadP99Ms} ms | ${r.overheadVsBareP99} | ${r.directP99Ms} ms | ${r.directOverheadVsBareP99} |`),
      '',
    ].join('\n'));
  }
  process.exit(0);
}

void main();

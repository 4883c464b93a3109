/**
 * `pnpm bench:grid [--json] [--miners 10000] [--agents 50] [--telemetry-ms 10000] [--sim-processes 2]`:
 * a grid cap event on a site of emulated LuxOS miners (real TCP, physics 20× real time) behind
 * ASIC agents (10 per process), with the real scheduler and Redis. From the event's arrival at
 * the scheduler it measures when each agent took its shed command off its queue, when every
 * miner had been written, and when ≥ 95 % of the requested shed showed in the metered site
 * power. Side by side, under the same load: a bare BullMQ fan-out (one job to a bare worker
 * beside each agent) and the bare LuxOS write rate of this machine (logon, profileset,
 * logoff from one process), which bound what any agent design could do here.
 * Loopback only, bounded in time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { openRedis, startEmbeddedRedis } from '@wattbroker/bus';
import { Scheduler } from '@wattbroker/scheduler';
import { generateFleet } from '@wattbroker/core';
import { LuxosClient } from '@wattbroker/drivers';
import { machine, percentile, progress, wantsJson } from './stats.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' }, miners: { type: 'string', default: '10000' }, agents: { type: 'string', default: '50' },
    'telemetry-ms': { type: 'string', default: '10000' }, 'sim-processes': { type: 'string', default: '2' },
  },
});
const agents = Number(values.agents);
const per = Math.ceil(Number(values.miners) / agents);
const miners = agents * per;
const simProcesses = Number(values['sim-processes']);
const telemetryMs = Number(values['telemetry-ms']);
for (const [flag, v] of [['--miners', miners], ['--agents', agents], ['--telemetry-ms', telemetryMs], ['--sim-processes', simProcesses]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag}: expected a whole number ≥ 1`);
}
const perProcess = 10;
const SPEED = 20;
const BARE_ROUNDS = 20;

const children: ChildProcess[] = [];
const tsx = (file: string, args: string[]) => {
  const p = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', fileURLToPath(new URL(file, import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(p);
  return p;
};
const ready = (p: ChildProcess, re: RegExp) => new Promise<void>((resolve, reject) => {
  p.stdout!.on('data', (d: Buffer) => { if (re.test(d.toString())) resolve(); });
  p.once('exit', (c) => reject(new Error(`child exited (${c})`)));
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

const redis = await startEmbeddedRedis();
const r = openRedis(redis.url);
const base = 10000 + Math.floor(Math.random() * 1000);

// The emulator, split over processes (one process per core serves more exchanges a second).
progress(`${miners} emulated miners in ${simProcesses} processes on ports ${base}–${base + miners - 1}…`);
const slice = Math.ceil(miners / simProcesses);
let stockW = 0;
for (let j = 0; j * slice < miners; j++) {
  const n = Math.min(slice, miners - j * slice);
  const sim = tsx('../../services/miner-sim/src/main.ts', ['--miners', String(n), '--base-port', String(base + j * slice), '--truth-port', '0', '--speed', String(SPEED), '--seed', String(j + 1)]);
  await ready(sim, /listening/);
  stockW += generateFleet({ miners: n, seed: j + 1 }).reduce((s, u) => s + u.model.nominalW, 0);
}

// Baseline 1: bare LuxOS write cycles (logon, profileset, logoff) from one process.
progress('bare LuxOS write rate…');
const clients = Array.from({ length: miners }, (_, i) => new LuxosClient('127.0.0.1', base + i, { retries: 0 }));
let writes = 0;
const wStart = Date.now();
await Promise.all(Array.from({ length: 64 }, async (_, k) => {
  for (let i = k; Date.now() - wStart < 3000; i += 64) {
    const c = clients[i % miners]!;
    await c.withSession((sid) => c.command('profileset', `${sid},default`));
    writes++;
  }
}));
const bareWritesPerS = Math.round(writes / ((Date.now() - wStart) / 1000));

const scheduler = new Scheduler({
  redisUrl: redis.url, logger: pino({ level: 'silent' }), contractCapW: stockW * 1.1, marginW: 0, tickMs: 100,
  cooling: { fixedW: 0, fractionOfIt: 0.1 }, policy: { hysteresisW: stockW * 0.005, minDwellMs: 1000, silentAfterMs: telemetryMs * 3 },
});
await scheduler.start();
progress(`${agents} agents in ${Math.ceil(agents / perProcess)} processes, telemetry every ${telemetryMs} ms…`);
const agentProcs = [];
for (let first = 0; first < agents; first += perProcess) {
  agentProcs.push(ready(tsx('./grid-agents.ts', [redis.url, String(base), String(first), String(Math.min(perProcess, agents - first)), String(per), String(telemetryMs)]), /ready/));
}
await Promise.all(agentProcs);
progress('waiting for registration and a full site…');
const deadline = Date.now() + 300_000;
for (;;) {
  const s = scheduler.read.sample();
  const hosts = scheduler.read.hosts();
  if (hosts.length === agents && hosts.every((h) => !h.silent) && s.siteW > 0.9 * s.effectiveCapW) break;
  if (Date.now() > deadline) throw new Error(`site not ready: ${hosts.length} hosts, ${(s.siteW / 1000).toFixed(0)} kW`);
  await sleep(500);
}
await sleep(2 * telemetryMs); // settle

// Baseline 2: one bare BullMQ job to each agent's neighbour worker, under the same load.
progress(`bare BullMQ fan-out to ${agents} workers, ${BARE_ROUNDS} rounds…`);
const bareQueues = Array.from({ length: agents }, (_, h) => new Queue(`bare-${h}`, { connection: r, prefix: '{bench}' }));
const bareAll: number[] = [];
const bareLast: number[] = [];
for (let round = 0; round < BARE_ROUNDS; round++) {
  const t = Date.now();
  await Promise.all(bareQueues.map((q) => q.add('ping', { round }, { removeOnComplete: true })));
  while ((await r.llen('{bench}:bare')) < agents) await sleep(2);
  const got = (await r.lrange('{bench}:bare', 0, -1)).map((x) => (JSON.parse(x) as { receivedAt: number }).receivedAt - t);
  await r.del('{bench}:bare');
  bareAll.push(...got);
  bareLast.push(Math.max(...got));
  await sleep(100);
}

// The event.
const before = scheduler.read.sample().siteW;
const capW = before * 0.7;
progress(`grid event: cap ${(capW / 1000).toFixed(0)} kW from ${(before / 1000).toFixed(0)} kW`);
const sent = new Map<string, number>(); // commandId → when the queue had it
const results = new Map<string, { hostId: string; receivedAt: number; doneAt: number; written: number; failed: number }>();
let firstStep: { issuedAt: number; lastQueuedAt: number } | undefined;
const shedOf = new Map<string, string>(); // hostId → commandId of its shed
let t0 = Number.POSITIVE_INFINITY;
scheduler.on('commands:sent', (cmds) => {
  const mine = cmds.filter((c) => c.issuedAt >= t0); // a step started before the event does not count
  if (mine.length && !firstStep) firstStep = { issuedAt: mine[0]!.issuedAt, lastQueuedAt: Math.max(...mine.map((c) => c.queuedAt)) };
  // Each host's first command from the event on is its shed.
  for (const c of mine) if (!shedOf.has(c.hostId)) shedOf.set(c.hostId, c.commandId);
  for (const c of mine) sent.set(c.commandId, c.queuedAt);
});
scheduler.on('command:result', (m) => {
  if (!sent.has(m.commandId) || m.receivedAt === undefined) return;
  const devs = Object.values(m.devices);
  results.set(m.commandId, { hostId: m.hostId, receivedAt: m.receivedAt, doneAt: m.sentAt, written: devs.filter((d) => d.ok && !d.superseded).length, failed: devs.filter((d) => !d.ok).length });
});
t0 = Date.now();
await scheduler.grid.add({ capKw: capW / 1000, startsAt: new Date(t0).toISOString(), endsAt: new Date(t0 + 600_000).toISOString(), mandatory: false });
let shedAt: number | undefined;
const shedTarget = 0.95 * (before - capW);
const firstPerHost = () => {
  const m = new Map<string, { receivedAt: number; doneAt: number; written: number; failed: number }>();
  for (const [hostId, commandId] of shedOf) {
    const r = results.get(commandId);
    if (r) m.set(hostId, r);
  }
  return m;
};
while (Date.now() - t0 < 60_000) {
  const s = scheduler.read.sample();
  if (!shedAt && before - s.siteW >= shedTarget) shedAt = Date.now();
  if (shedAt && firstPerHost().size >= agents) break;
  await sleep(20);
}
const first = firstPerHost();
const notify = [...first.values()].map((a) => a.receivedAt - t0);
const written = [...first.values()].map((a) => a.doneAt - t0);
const result = {
  benchmark: 'grid', machine: machine(), miners, agents, speed: SPEED, telemetryMs, simProcesses,
  // Event in → the step that acts on it starts → every command of that step queued.
  stepStartMs: firstStep ? firstStep.issuedAt - t0 : null,
  allQueuedMs: firstStep ? firstStep.lastQueuedAt - t0 : null,
  agentsNotified: first.size,
  notifyP50Ms: percentile(notify, 50), notifyP99Ms: percentile(notify, 99), notifyMaxMs: Math.max(...notify),
  minersWritten: [...first.values()].reduce((s, a) => s + a.written, 0),
  minersFailed: [...first.values()].reduce((s, a) => s + a.failed, 0),
  allMinersWrittenMs: Math.max(...written),
  shed95Ms: shedAt ? shedAt - t0 : null,
  baseline: {
    bareFanoutP50Ms: percentile(bareAll, 50), bareFanoutP99Ms: percentile(bareAll, 99), bareFanoutLastP50Ms: percentile(bareLast, 50),
    bareLuxosWritesPerS: bareWritesPerS,
  },
};
for (const c of children) c.kill('SIGTERM');
await scheduler.stop();
r.disconnect();
await redis.stop();
const floorMs = Math.round((result.minersWritten / bareWritesPerS) * 1000);
if (wantsJson) process.stdout.write(JSON.stringify(result) + '\n');
else process.stdout.write([
  `grid event benchmark — ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, ${result.machine.date}`,
  `${miners} emulated miners (${simProcesses} processes, physics ${SPEED}x) on ${agents} agents, telemetry every ${telemetryMs} ms; cap to 70 % of the site's draw`,
  '',
  '| | agents notified | notify p50 | notify p99 | notify max | miners written | all miners written | ≥ 95 % of the shed metered |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  `| wattbroker (step starts at ${result.stepStartMs} ms, all ${agents} commands queued at ${result.allQueuedMs} ms) | ${result.agentsNotified}/${agents} | ${result.notifyP50Ms} ms | ${result.notifyP99Ms} ms | ${result.notifyMaxMs} ms | ${result.minersWritten} (${result.minersFailed} failed) | ${result.allMinersWrittenMs} ms | ${result.shed95Ms ?? 'not within 60 s'} ms |`,
  `| bare BullMQ fan-out, same load (${BARE_ROUNDS} rounds) | ${agents}/${agents} | ${result.baseline.bareFanoutP50Ms} ms | ${result.baseline.bareFanoutP99Ms} ms | last of ${agents}: p50 ${result.baseline.bareFanoutLastP50Ms} ms | | | |`,
  `| bare LuxOS writes, one process, idle site | | | | | ${bareWritesPerS}/s | ${result.minersWritten} writes ≥ ${floorMs} ms | |`,
  '',
].join('\n'));
process.exit(0);

/**
 * `pnpm bench:grid [--json] [--miners 10000] [--agents 50]`: a grid cap event on a site of
 * emulated LuxOS miners (real TCP, physics 20× real time) behind ASIC agents (several per
 * process), with the real scheduler and Redis. Measures, from the event's arrival at the
 * scheduler: when every agent holds its shed command, when every miner has been written,
 * and when ≥ 95 % of the requested shed shows in the metered site power. Loopback only,
 * bounded in time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { openRedis, startEmbeddedRedis } from '@wattbroker/bus';
import { Scheduler } from '@wattbroker/scheduler';
import { generateFleet } from '@wattbroker/core';
import { machine, percentile, progress, wantsJson } from './stats.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, miners: { type: 'string', default: '10000' }, agents: { type: 'string', default: '50' } } });
const miners = Number(values.miners);
const agents = Number(values.agents);
const per = Math.ceil(miners / agents);
const perProcess = 10;
const SPEED = 20;
const TELEMETRY_MS = 2000;

const tsx = (file: string, args: string[]) => spawn(process.execPath, ['--conditions=development', '--import', 'tsx', fileURLToPath(new URL(file, import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
const ready = (p: ReturnType<typeof spawn>, re: RegExp) => new Promise<void>((resolve, reject) => {
  p.stdout!.on('data', (d: Buffer) => { if (re.test(d.toString())) resolve(); });
  p.once('exit', (c) => reject(new Error(`child exited (${c})`)));
});

const redis = await startEmbeddedRedis();
const r = openRedis(redis.url);
const base = 10000 + Math.floor(Math.random() * 1000);
progress(`${miners} emulated miners on ports ${base}…`);
const sim = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', fileURLToPath(new URL('../../services/miner-sim/src/main.ts', import.meta.url)),
  '--miners', String(agents * per), '--base-port', String(base), '--truth-port', '0', '--speed', String(SPEED)], { stdio: ['ignore', 'pipe', 'inherit'] });
await ready(sim, /listening/);
const stockW = generateFleet({ miners: agents * per, seed: 1 }).reduce((s, u) => s + u.model.nominalW, 0);
const scheduler = new Scheduler({
  redisUrl: redis.url, logger: pino({ level: 'silent' }), contractCapW: stockW * 1.1, marginW: 0, tickMs: 100,
  controller: { cooling: { fixedW: 0, fractionOfIt: 0.1 }, hysteresisW: stockW * 0.005, minDwellMs: 1000, silentAfterMs: TELEMETRY_MS * 3 },
});
await scheduler.start();
progress(`${agents} agents in ${Math.ceil(agents / perProcess)} processes…`);
const procs = [];
for (let first = 0; first < agents; first += perProcess) {
  const p = tsx('./grid-agents.ts', [redis.url, String(base), String(first), String(Math.min(perProcess, agents - first)), String(per), String(TELEMETRY_MS)]);
  procs.push(p);
  await ready(p, /ready/);
}
progress('waiting for registration and a full site…');
const deadline = Date.now() + 180_000;
for (;;) {
  const s = scheduler.controller.sample(Date.now());
  const hosts = scheduler.controller.hostStates(Date.now());
  if (hosts.length === agents && hosts.every((h) => !h.silent) && s.siteW > 0.9 * s.effectiveCapW) break;
  if (Date.now() > deadline) throw new Error(`site not ready: ${hosts.length} hosts, ${(s.siteW / 1000).toFixed(0)} kW`);
  await new Promise((res) => setTimeout(res, 500));
}
await new Promise((res) => setTimeout(res, 5000)); // settle
await r.del('{bench}:applied');
const before = scheduler.controller.sample(Date.now()).siteW;
const capW = before * 0.7;
progress(`grid event: cap ${(capW / 1000).toFixed(0)} kW from ${(before / 1000).toFixed(0)} kW`);
const t0 = Date.now();
await scheduler.addGridEvent({ capKw: capW / 1000, startsAt: new Date(t0).toISOString(), endsAt: new Date(t0 + 600_000).toISOString(), mandatory: false });
let shedAt: number | undefined;
const shedTarget = 0.95 * (before - capW);
while (Date.now() - t0 < 60_000) {
  const s = scheduler.controller.sample(Date.now());
  if (!shedAt && before - s.siteW >= shedTarget) shedAt = Date.now();
  const applied = (await r.lrange('{bench}:applied', 0, -1)).map((x) => JSON.parse(x) as { hostId: string; startedAt: number; endedAt: number });
  const hostsDone = new Set(applied.filter((a) => a.startedAt >= t0).map((a) => a.hostId));
  if (shedAt && hostsDone.size >= agents) break;
  await new Promise((res) => setTimeout(res, 50));
}
// Commands applied from the event on (one in flight before it does not count), up to the
// moment the shed was metered.
const until = shedAt ?? Date.now();
const applied = (await r.lrange('{bench}:applied', 0, -1)).map((x) => JSON.parse(x) as { hostId: string; startedAt: number; endedAt: number; devices: number })
  .filter((a) => a.startedAt >= t0 && a.startedAt <= until);
const firstPerHost = new Map<string, { startedAt: number; endedAt: number; devices: number }>();
for (const a of applied) if (!firstPerHost.has(a.hostId)) firstPerHost.set(a.hostId, a);
const notify = [...firstPerHost.values()].map((a) => a.startedAt - t0);
const written = applied.map((a) => a.endedAt - t0);
const result = {
  benchmark: 'grid', machine: machine(), miners: agents * per, agents, speed: SPEED,
  agentsNotified: firstPerHost.size,
  notifyP50Ms: percentile(notify, 50), notifyP99Ms: percentile(notify, 99), notifyMaxMs: Math.max(...notify),
  allMinersWrittenMs: Math.max(...written),
  minersCommanded: applied.reduce((s, a) => s + a.devices, 0),
  shed95Ms: shedAt ? shedAt - t0 : null,
};
for (const p of procs) p.kill('SIGTERM');
sim.kill('SIGTERM');
await scheduler.stop();
r.disconnect();
await redis.stop();
if (wantsJson) process.stdout.write(JSON.stringify(result) + '\n');
else process.stdout.write([
  `grid event benchmark — ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, ${result.machine.date}`,
  `${result.miners} emulated miners (physics ${SPEED}x) on ${agents} agents; cap to 70 % of the site's draw`,
  '',
  '| agents notified | notify p50 | notify p99 | notify max | miners commanded | all miners written | ≥ 95 % of the shed metered |',
  '|---:|---:|---:|---:|---:|---:|---:|',
  `| ${result.agentsNotified}/${agents} | ${result.notifyP50Ms} ms | ${result.notifyP99Ms} ms | ${result.notifyMaxMs} ms | ${result.minersCommanded} | ${result.allMinersWrittenMs} ms | ${result.shed95Ms ?? 'not within 60 s'} ms |`,
  '',
].join('\n'));
process.exit(0);

#!/usr/bin/env node
/**
 * `pnpm demo`: the main job on embedded defaults. A private redis-server (unless --redis),
 * the site emulator (LuxOS miners, GPU servers, cooling, a Modbus TCP site meter), ASIC and
 * GPU agents, the scheduler with its REST API, and a generator of bursty GPU inference jobs,
 * all as separate processes; a live status line.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  SCHEDULER_USER, aclFile, agentUser, freeLoopbackPort, newCredentials, REDIS_SERVER_HOWTO, redisServerOnPath, startEmbeddedRedis, withCredentials, type EmbeddedRedis,
} from '@wattbroker/bus';
import { GridEventViewSchema, PricesViewSchema, ProblemSchema, SiteViewSchema, generateToken, tokenEntry } from '@wattbroker/contracts';
import { generateFleet, mulberry32 } from '@wattbroker/core';
import { startService, type Proc } from './processes.js';
import { readTrace, startReplay } from './trace-replay.js';

const USAGE = `usage: pnpm demo [--port 8080] [--schedulers 1|2] [--miners 120] [--asic-hosts 4] [--gpu-hosts 2] [--gpus-per-host 8]
                 [--cap-kw N] [--speed 10] [--duration S] [--no-jobs] [--seed 1] [--redis URL]
                 [--grid-at S [--grid-cap-kw N] [--grid-for S]] [--price-at S [--price USD_PER_MWH] [--hashprice USD]]
                 [--openadr-vtn URL --openadr-client-id ID --openadr-program NAME] (secret in WATTBROKER_OPENADR_CLIENT_SECRET)
                 [--trace FILE [--trace-delay S] [--summary-json FILE]]

A whole hybrid site on this machine. --speed scales device physics and job durations;
--duration runs for S seconds then exits 0; Ctrl-C stops everything. --grid-at S posts a
grid cap event S seconds in (default 70 % of the contract, for 60 s); --price-at S sets the
energy price S seconds in (default 100 $/MWh, hashprice 0.05 $/TH/day): miners that no
longer pay for their power sleep. --trace FILE replays a backtest trace (its jobs, grid
events and prices, at its times in wall seconds) instead of the random jobs, from
--trace-delay S (30) after start-up, then prints the energy used and admission waits it
measured (and writes them to --summary-json FILE) and stops.`;

const fail = (msg: string): never => {
  process.stderr.write(`demo: ${msg}\n`);
  process.exit(2);
};

const num = (name: string, raw: string | undefined, dflt: number, min: number, integer = false): number => {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) fail(`--${name}: expected ${integer ? 'a whole number' : 'a number'} ≥ ${min}, got "${raw}"`);
  return n;
};

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' }, schedulers: { type: 'string' }, miners: { type: 'string' }, 'asic-hosts': { type: 'string' }, 'gpu-hosts': { type: 'string' },
        'gpus-per-host': { type: 'string' }, 'cap-kw': { type: 'string' }, speed: { type: 'string' }, duration: { type: 'string' },
        'no-jobs': { type: 'boolean', default: false }, seed: { type: 'string' }, redis: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
        'grid-at': { type: 'string' }, 'grid-cap-kw': { type: 'string' }, 'grid-for': { type: 'string' },
        'price-at': { type: 'string' }, price: { type: 'string' }, hashprice: { type: 'string' },
        'openadr-vtn': { type: 'string' }, 'openadr-client-id': { type: 'string' }, 'openadr-program': { type: 'string' },
        trace: { type: 'string' }, 'trace-delay': { type: 'string' }, 'summary-json': { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (!values) return;
  if (values.help) return void process.stdout.write(USAGE + '\n');
  const port = num('port', values.port, 8080, 0, true);
  const schedulerCount = num('schedulers', values.schedulers, 1, 1, true);
  if (schedulerCount > 2) fail('--schedulers: 1, or 2 (an active/standby pair)');
  const miners = num('miners', values.miners, 120, 1, true);
  const asicHosts = Math.min(miners, num('asic-hosts', values['asic-hosts'], 4, 1, true));
  const gpuHosts = num('gpu-hosts', values['gpu-hosts'], 2, 0, true);
  const gpusPerHost = num('gpus-per-host', values['gpus-per-host'], 8, 1, true);
  const speed = num('speed', values.speed, 10, 0.01);
  const duration = values.duration !== undefined ? num('duration', values.duration, 0, 1) : undefined;
  const seed = num('seed', values.seed, 1, 0, true);
  const gridAt = values['grid-at'] !== undefined ? num('grid-at', values['grid-at'], 0, 0) : undefined;
  const gridFor = num('grid-for', values['grid-for'], 60, 1);
  const priceAt = values['price-at'] !== undefined ? num('price-at', values['price-at'], 0, 0) : undefined;
  const price = num('price', values.price, 100, 0);
  const hashprice = num('hashprice', values.hashprice, 0.05, 0.0001);
  let trace;
  try {
    trace = values.trace !== undefined ? readTrace(values.trace) : undefined;
  } catch (e) {
    fail(`--trace: ${(e as Error).message}`);
  }
  const traceDelay = num('trace-delay', values['trace-delay'], 30, 0);
  if (values.redis === undefined && !redisServerOnPath()) {
    // The same line `./scripts/demo` prints when it cannot install redis-server itself.
    process.stderr.write(`demo: ${REDIS_SERVER_HOWTO}, or pass --redis URL\n`);
    process.exit(1);
  }

  // Size the default contract as sites do: the miners' stock draw plus the GPUs at their
  // limits plus cooling (10 % of IT). The miners then fill what the GPUs leave free,
  // over-clocking into it when the GPUs are idle.
  const fleet = generateFleet({ miners, seed });
  const stockW = fleet.reduce((s, u) => s + u.model.nominalW, 0);
  const gpuMaxW = gpuHosts * (gpusPerHost * 700 + 400);
  const capKw = num('cap-kw', values['cap-kw'], Math.round(((stockW + gpuMaxW) * 1.1) / 1000), 1);
  const marginKw = Math.max(1, Math.round(capKw * 0.02));

  const runDir = mkdtempSync(join(tmpdir(), 'wattbroker-demo-'));
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir);
  const procs: Proc[] = [];
  let redis: EmbeddedRedis | undefined;
  let stopping = false;
  const shutdown = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\ndemo: ${why}; stopping ${procs.length} processes${redis ? ' and the private redis-server' : ''}…\n`);
    for (const p of [...procs].reverse()) await p.stop();
    await redis?.stop();
    process.stdout.write(`demo: stopped. Logs were in ${logDir}\n`);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0, 'interrupted'));
  process.on('SIGTERM', () => void shutdown(0, 'terminated'));

  try {
    let redisUrl = values.redis;
    const per = Math.ceil(miners / asicHosts);
    const asicHostIds = Array.from({ length: asicHosts }, (_, h) => `asic-${h + 1}`).filter((_, h) => h * per < miners);
    const gpuHostIds = Array.from({ length: gpuHosts }, (_, h) => `gpu-${h + 1}`);
    /** The Redis URL each agent logs in with: its own ACL user on the private Redis, or the URL given. */
    let agentRedisUrl = (_hostId: string) => redisUrl!;
    if (!redisUrl) {
      // ACLs on, as in production: the scheduler and each agent log in as their own users.
      const credentials = newCredentials([...asicHostIds, ...gpuHostIds]);
      const aclPath = join(runDir, 'users.acl');
      writeFileSync(aclPath, aclFile(credentials), { mode: 0o600 });
      redis = await startEmbeddedRedis({ dir: join(runDir, 'redis'), appendOnly: true, acl: { file: aclPath, user: SCHEDULER_USER, password: credentials.scheduler } });
      redisUrl = redis.url;
      const plain = `redis://127.0.0.1:${redis.port}`;
      agentRedisUrl = (hostId) => withCredentials(plain, agentUser(hostId), credentials.agents.get(hostId)!);
      process.stdout.write(`demo: no Redis given; started a private redis-server on 127.0.0.1:${redis.port} (AOF on, ACLs on: one user per agent, data in ${redis.dir})\n`);
    }
    // One emulator process for the whole site: the miners (each ASIC host drives a slice), the
    // GPU servers (each GPU agent drives one), the true cooling, and a Modbus TCP meter at the
    // point of connection that reads all of it.
    const truthPort = await freeLoopbackPort();
    // Below the ephemeral range (32768+), where outgoing connections take their ports.
    const basePort = 10000 + Math.floor(Math.random() * Math.max(1, 22000 - miners));
    const sim = startService('miner-sim', 'services/miner-sim/src/main.ts',
      ['--miners', String(miners), '--base-port', String(basePort), '--truth-port', String(truthPort), '--speed', String(speed), '--seed', String(seed), '--boot', '20',
        ...gpuHostIds.flatMap((id) => ['--gpu-host', `${id}:${gpusPerHost}:h100:400`]), '--cooling-fraction', '0.1', '--meter-port', '0', '--meter-preset', 'sdm630'],
      {}, logDir, /listening/);
    procs.push(sim);
    const simLine = await sim.ready;
    const meter = /meter modbus-tcp (\S+)/.exec(simLine)![1]!;
    const emulatorUrl = `http://127.0.0.1:${truthPort}`;
    process.stdout.write(
      `demo: ${miners} emulated miners on 127.0.0.1:${basePort}-${basePort + miners - 1}` +
        `${gpuHosts ? ` and ${gpuHosts} emulated GPU hosts × ${gpusPerHost} H100` : ''} (physics ${speed}x), ` +
        `truth ${emulatorUrl}/truth, site meter modbus-tcp ${meter} (sdm630, unit 1; try: pnpm wattbroker meter ${meter} --preset sdm630)\n`,
    );

    const hostFiles: Array<{ id: string; file: string }> = [];
    for (const [h, id] of asicHostIds.entries()) {
      const slice = fleet.slice(h * per, (h + 1) * per);
      const file = join(runDir, `${id}.json`);
      writeFileSync(file, JSON.stringify({
        hostId: id, kind: 'asic', concurrency: 32, hostOverheadW: 0, fastWake: true,
        miners: slice.map((u, i) => ({ id: u.id, driver: 'luxos', host: '127.0.0.1', port: basePort + h * per + i })),
      }, null, 2));
      hostFiles.push({ id, file });
    }
    for (const id of gpuHostIds) {
      const file = join(runDir, `${id}.json`);
      writeFileSync(file, JSON.stringify({
        hostId: id, kind: 'gpu', hostOverheadW: 400, emulatorUrl,
        gpus: Array.from({ length: gpusPerHost }, (_, i) => ({ id: `${id}-gpu${i}`, driver: 'emulated', index: i, model: 'h100' })),
      }, null, 2));
      hostFiles.push({ id, file });
    }
    // Fresh tokens every run; the scheduler is given only their hashes. The operator's is
    // also written to a file only this user may read, for scripts and curl.
    const operatorToken = generateToken();
    const tenantToken = generateToken();
    const tokenFile = join(runDir, 'operator.token');
    writeFileSync(tokenFile, `${operatorToken}\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {
      WATTBROKER_REDIS_URL: redisUrl, LOG_LEVEL: 'info',
      WATTBROKER_API_TOKENS: `${tokenEntry('demo-operator', 'operator', operatorToken)},${tokenEntry('demo-jobs', 'tenant', tenantToken)}`,
    };
    if (values['openadr-vtn']) {
      Object.assign(env, {
        WATTBROKER_OPENADR_VTN: values['openadr-vtn'], WATTBROKER_OPENADR_CLIENT_ID: values['openadr-client-id'],
        // The secret only from the environment: a flag would show it in a process list.
        WATTBROKER_OPENADR_CLIENT_SECRET: process.env.WATTBROKER_OPENADR_CLIENT_SECRET, WATTBROKER_OPENADR_PROGRAM: values['openadr-program'],
        ...(process.env.WATTBROKER_OPENADR_ALLOW_HTTP ? { WATTBROKER_OPENADR_ALLOW_HTTP: process.env.WATTBROKER_OPENADR_ALLOW_HTTP } : {}),
      });
    }
    // One scheduler, or an active/standby pair on the same Redis (--schedulers 2): the demo
    // talks to whichever leads, and keeps running if one of them is killed.
    const schedulerArgs = ['--cap-kw', String(capKw), '--margin-kw', String(marginKw), '--meter', meter, '--meter-preset', 'sdm630', '--cooling-fraction', '0.1', '--min-dwell-s', String(Math.max(0.5, 10 / speed))];
    const apis: string[] = [];
    const schedulerProcs: Proc[] = [];
    for (let i = 0; i < schedulerCount; i++) {
      const name = schedulerCount > 1 ? `scheduler-${i + 1}` : 'scheduler';
      const proc = startService(name, 'services/scheduler/src/main.ts', [...schedulerArgs, '--port', String(port === 0 ? 0 : port + i)], env, logDir, /API on/);
      procs.push(proc);
      schedulerProcs.push(proc);
      const line = await proc.ready;
      apis.push(/API on (\S+)/.exec(line)![1]!);
      if (schedulerCount > 1) process.stdout.write(`demo: ${name} API ${apis[i]} (pid ${proc.child.pid}; ${/standby/.test(line) ? 'standby' : 'leader'})\n`);
    }
    let api = apis[0]!;
    /** The API of the scheduler that leads now (asked through /readyz). */
    const leaderApi = async (): Promise<string> => {
      for (const url of [api, ...apis.filter((a) => a !== api)]) {
        const r = await fetch(`${url}/readyz`).then((x) => x.json() as Promise<{ role?: string }>).catch(() => undefined);
        if (r?.role === 'leader') return (api = url);
      }
      return api;
    };
    for (const h of hostFiles) {
      const agent = startService(`agent-${h.id}`, 'services/agent/src/main.ts', ['--config', h.file, '--speed', String(speed)], { ...env, WATTBROKER_REDIS_URL: agentRedisUrl(h.id) }, logDir);
      procs.push(agent);
    }
    process.stdout.write([
      `demo: scheduler API ${api}${schedulerCount > 1 ? ' (the leader now; the other stands by)' : ''}  (contract ${capKw} kW, margin ${marginKw} kW; ${asicHosts} ASIC hosts, ${gpuHosts} GPU hosts × ${gpusPerHost} H100)`,
      `demo: operator token ${operatorToken} (also in ${tokenFile}, mode 600)  e.g.  curl -H "Authorization: Bearer $(cat ${tokenFile})" ${api}/v1/site`,
      // The token in the URL fragment: the browser keeps it for the page and never sends it to the server.
      `demo: dashboard ${api}/#token=${operatorToken}  (metrics: curl -H 'Authorization: Bearer ${operatorToken}' ${api}/metrics)`,
      `demo: CLI  export WATTBROKER_URL=${api} WATTBROKER_TOKEN=${operatorToken}; pnpm wattbroker site  (API reference: ${api}/v1/reference)`,
      `demo: logs in ${logDir}${values['no-jobs'] ? '' : '; bursty GPU jobs start shortly'}${duration ? `; stopping after ${duration} s` : '; Ctrl-C to stop'}`,
      '',
    ].join('\n'));

    const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    if (trace) {
      // The site settles first (miners fill the contract), then the trace runs on the wall clock.
      process.stdout.write(`demo: replaying ${values.trace} (${trace.jobs.length} jobs, ${trace.durationS} s) from ${traceDelay} s on\n`);
      setTimeout(() => {
        if (stopping) return;
        const replay = startReplay({
          trace, name: values.trace!, api, truthUrl: emulatorUrl, capKw, marginKw, operator: headers(operatorToken), tenant: headers(tenantToken),
          log: (line) => process.stdout.write(`\n${line}\n`),
        });
        void replay.done.then((summary) => {
          process.stdout.write(`\ndemo: trace replayed: energy used ${summary.contractEnergyUsedPct} % of cap − margin (truth, ${summary.truthSamples} s); waits ${JSON.stringify(summary.kpis?.admissionWait ?? {})}\n`);
          if (values['summary-json']) writeFileSync(values['summary-json'], JSON.stringify(summary, null, 2) + '\n');
          if (!duration) void shutdown(0, 'trace replayed');
        });
      }, traceDelay * 1000);
    } else if (!values['no-jobs'] && gpuHosts > 0) {
      const rng = mulberry32(seed);
      const burst = async () => {
        if (stopping) return;
        const n = 3 + Math.floor(rng() * 8);
        for (let i = 0; i < n; i++) {
          const body = {
            class: rng() < 0.2 ? 'critical' : 'standard', gpus: 1 + Math.floor(rng() * Math.min(4, gpusPerHost)),
            durationS: Math.round(20 + rng() * 60),
          };
          await fetch(`${await leaderApi()}/v1/jobs`, { method: 'POST', headers: headers(tenantToken), body: JSON.stringify(body) }).catch(() => undefined);
        }
        setTimeout(() => void burst(), (30 + rng() * 60) * 1000 / Math.max(1, speed / 2));
      };
      setTimeout(() => void burst(), 3000);
    }

    if (gridAt !== undefined) {
      const gridCapKw = num('grid-cap-kw', values['grid-cap-kw'], Math.round(capKw * 0.7), 0);
      setTimeout(async () => {
        const startsAt = new Date().toISOString();
        const endsAt = new Date(Date.now() + gridFor * 1000).toISOString();
        const r = await fetch(`${await leaderApi()}/v1/grid/events`, { method: 'POST', headers: headers(operatorToken), body: JSON.stringify({ capKw: gridCapKw, startsAt, endsAt, program: 'demo' }) });
        const body: unknown = await r.json();
        const e = r.ok ? GridEventViewSchema.parse(body) : undefined;
        process.stdout.write(e
          ? `\ndemo: grid event ${e.id}: cap ${gridCapKw} kW for ${gridFor} s; report: ${api}/v1/grid/events/${e.id}/report\n`
          : `\ndemo: grid event refused: ${ProblemSchema.parse(body).detail}\n`);
      }, gridAt * 1000);
    }
    if (priceAt !== undefined) {
      setTimeout(async () => {
        await fetch(`${await leaderApi()}/v1/prices/hash`, { method: 'PUT', headers: headers(operatorToken), body: JSON.stringify({ usdPerThDay: hashprice }) });
        await fetch(`${await leaderApi()}/v1/prices/energy`, { method: 'PUT', headers: headers(operatorToken), body: JSON.stringify({ pricePerMWh: price }) });
        process.stdout.write(`\ndemo: energy price ${price} $/MWh (hashprice ${hashprice} $/TH/day)\n`);
      }, priceAt * 1000);
    }

    const tty = process.stdout.isTTY;
    const started = Date.now();
    setInterval(async () => {
      if (stopping) return;
      try {
        // Parsed with the API's own response schemas: a change on either side shows here.
        const leader = await leaderApi();
        const site = SiteViewSchema.parse(await (await fetch(`${leader}/v1/site`, { headers: headers(operatorToken) })).json());
        const prices = PricesViewSchema.parse(await (await fetch(`${leader}/v1/prices`, { headers: headers(operatorToken) })).json());
        const t = Math.round((Date.now() - started) / 1000);
        const line = `[${String(t).padStart(4)}s] cap ${site.effectiveCapKw.toFixed(1)} kW | site ${site.power.siteKw.toFixed(1)} kW ` +
          `(${((site.power.siteKw / site.effectiveCapKw) * 100).toFixed(1)} %; meter ${site.power.meteredKw?.toFixed(1) ?? '–'}, model ${site.power.modelledKw.toFixed(1)}) | ASIC ${site.power.asicKw.toFixed(1)} GPU ${site.power.gpuKw.toFixed(1)} overhead ${site.power.overheadKw.toFixed(1)} kW | ` +
          `${(site.hashrateThs / 1000).toFixed(2)} PH/s | jobs queued ${site.jobs.queued} admitting ${site.jobs.admitting} running ${site.jobs.running}` +
          (site.effectiveCapKw < capKw - marginKw - 0.05 ? ' | GRID EVENT' : '') +
          (prices.effectivePricePerMWh !== undefined ? ` | price ${prices.effectivePricePerMWh} $/MWh` : '') +
          (site.silentHosts.length ? ` | SILENT ${site.silentHosts.join(',')}` : '') +
          (site.offTargetDevices ? ` | OFF TARGET ${site.offTargetDevices}` : '');
        process.stdout.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
      } catch {
        // the scheduler may be restarting; the next line will tell
      }
    }, 1000);
    if (duration) setTimeout(() => void shutdown(0, `ran ${duration} s`), duration * 1000);
    for (const p of procs) void p.child.once('exit', (code, signal) => {
      if (stopping) return;
      // With a standby, losing one scheduler is what the pair is for: carry on with the other.
      const otherSchedulers = schedulerProcs.filter((x) => x !== p && x.child.exitCode === null && x.child.signalCode === null);
      if (schedulerProcs.includes(p) && otherSchedulers.length > 0) {
        process.stdout.write(`\ndemo: ${p.name} (pid ${p.child.pid}) exited (${signal ?? code}); ${otherSchedulers.map((x) => x.name).join(', ')} takes over\n`);
        return;
      }
      void shutdown(1, `${p.name} exited unexpectedly (code ${code}); see ${logDir}/${p.name}.log`);
    });
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n`);
    await shutdown(1, 'start-up failed');
  }
}

void main();

#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { redisTls } from '@wattbroker/bus';
import { HostConfigSchema, InputError, parseInput } from '@wattbroker/contracts';
import { EmulatedGpuDriver, NvidiaSmiDriver, type GpuDriver } from '@wattbroker/drivers';
import { Agent } from './agent.js';
import { AsicHost } from './asic-host.js';
import { GpuHost } from './gpu-host.js';
import { AgentMetrics } from './metrics.js';

const USAGE = `usage: wattbroker-agent --config HOST.json [--redis URL] [--speed F] [--metrics-port N [--metrics-host 127.0.0.1]]

One agent per host: applies the scheduler's commands to this host's devices and reports
telemetry. --redis defaults to $WATTBROKER_REDIS_URL; --speed divides simulated job
durations (the demo's time scale). --metrics-port serves Prometheus metrics at /metrics
(0: a free port, printed), on --metrics-host (127.0.0.1: it has no token).`;

const logger = pino({
  name: 'agent',
  level: process.env.LOG_LEVEL ?? 'info',
  redact: { paths: ['redisUrl', 'redis', '*.password', 'config.redis'], censor: '[redacted]' },
});

function fail(msg: string): never {
  process.stderr.write(`wattbroker-agent: ${msg}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { config: { type: 'string' }, redis: { type: 'string' }, speed: { type: 'string', default: '1' }, 'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string', default: '127.0.0.1' }, help: { type: 'boolean', default: false } }, strict: true }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) return void process.stdout.write(USAGE + '\n');
  if (!values.config) fail(`--config is required\n${USAGE}`);
  const redisUrl = values.redis ?? process.env.WATTBROKER_REDIS_URL;
  if (!redisUrl) fail('no Redis: give --redis URL or set WATTBROKER_REDIS_URL');
  try {
    redisTls(redisUrl); // unreadable TLS files stop it here, named
  } catch (e) {
    fail((e as Error).message);
  }
  const speed = Number(values.speed);
  if (!Number.isFinite(speed) || speed <= 0) fail(`--speed: expected a number > 0, got "${values.speed}"`);
  const metricsPort = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort <= 65535)) {
    fail(`--metrics-port: expected a port 0-65535, got "${values['metrics-port']}"`);
  }
  let config;
  try {
    config = parseInput(HostConfigSchema, JSON.parse(await readFile(values.config, 'utf8')), values.config);
  } catch (e) {
    fail(e instanceof InputError ? e.message : `${values.config}: ${(e as Error).message}`);
  }
  let devices;
  if (config.kind === 'asic') devices = new AsicHost(config);
  else {
    // The schema has checked that all GPUs use one driver and that `emulated` has its URL.
    const driver: GpuDriver = config.gpus[0]!.driver === 'emulated'
      ? new EmulatedGpuDriver({ url: config.emulatorUrl!, hostId: config.hostId })
      : new NvidiaSmiDriver('nvidia-smi', 5000, config.powerLimitHelper);
    devices = new GpuHost(config, driver, speed);
  }
  const metrics = metricsPort === undefined ? undefined : new AgentMetrics(config.hostId);
  const agent = new Agent({ config, redisUrl, devices: metrics ? metrics.metered(devices) : devices, logger });
  metrics?.watch(agent);
  const server = metrics ? await metrics.listen(metricsPort!, values['metrics-host']).catch((e: Error) => fail(`--metrics-port: ${e.message}`)) : undefined;
  if (server) {
    const addr = server.address();
    process.stdout.write(`agent ${config.hostId}: metrics on http://${values['metrics-host']}:${typeof addr === 'object' && addr ? addr.port : metricsPort}/metrics\n`);
  }
  await agent.start();
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    server?.close();
    await agent.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();

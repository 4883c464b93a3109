#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { METER_PRESET_NAMES, METER_PRESETS, type MeterPresetName } from '@wattbroker/contracts';
import { ASIC_MODEL_KEYS, GPU_MODEL_KEYS, asicModel, type AsicModelKey } from '@wattbroker/core';
import { parseGpuHostSpec, type GpuHostSpec } from './gpu/emulated-gpu-host.js';
import { DEFAULT_METER_NOISE_PCT, createSiteMeter } from './meter/site-meter.js';
import { parseFault, type Faults } from './miner/faults.js';
import { startTruthServer } from './server/truth-server.js';
import { SimSite } from './sim-site.js';

const USAGE = `usage: miner-sim --miners N --base-port P [options]

Start N emulated LuxOS miners; miner i listens on P+i and speaks the LuxOS TCP API. GPU
servers, cooling and a Modbus TCP site meter complete the site.
  --host H             address to bind (default 127.0.0.1)
  --models a,b         ${ASIC_MODEL_KEYS.join(',')} (default: a mixed fleet)
  --speed F            simulated seconds per wall second for device physics (default 1)
  --seed S             silicon-lottery and noise seed (default 1)
  --id-prefix X        miner ids X-0001, … (default m)
  --truth-port T       HTTP ground truth, emulated GPUs, faults (default P-1; 0 = any free port)
  --fault I:NAME[=V]   start miner I (index, id or port) with a fault; repeatable.
                       faults: slowMs=MS noNul noClose refuse truncate garble quirk stuckAsleep drop
  --session-timeout S  idle seconds before a session expires (default 60)
  --tick S             simulated seconds per 5 MHz ramp step (default 0.5)
  --boot S             simulated seconds of a safe wake's boot (default 45)
  --gpu-host ID:COUNT[:MODEL[:OVERHEAD_W]]
                       a GPU server with COUNT cards (${GPU_MODEL_KEYS.join(', ')}; default h100)
                       and a chassis overhead (default 400 W), served at /gpus/ID; repeatable
  --cooling-fraction F cooling per W of IT load (default 0.1)
  --cooling-fixed-kw K cooling drawn whatever the load (default 0)
  --meter-port M       serve the whole site's power over Modbus TCP on M (0 = any free port)
  --meter-preset NAME  register map of the emulated meter: ${METER_PRESET_NAMES.join(', ')} (default sdm630)
  --meter-unit-id N    its Modbus unit id (default 1)
  --meter-noise-pct X  its reading error, ± percent (default ${DEFAULT_METER_NOISE_PCT})
Prints one line when every miner is listening; stops cleanly on SIGINT/SIGTERM.`;

function fail(msg: string): never {
  process.stderr.write(`miner-sim: ${msg}\n`);
  process.exit(2);
}

function number(name: string, raw: string | undefined, dflt: number, min = 0): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min) fail(`--${name}: expected a number ≥ ${min}, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        miners: { type: 'string' }, 'base-port': { type: 'string' }, host: { type: 'string', default: '127.0.0.1' },
        models: { type: 'string' }, speed: { type: 'string' }, seed: { type: 'string' }, 'id-prefix': { type: 'string' },
        'truth-port': { type: 'string' }, fault: { type: 'string', multiple: true, default: [] },
        'session-timeout': { type: 'string' }, tick: { type: 'string' }, boot: { type: 'string' },
        'gpu-host': { type: 'string', multiple: true, default: [] },
        'cooling-fraction': { type: 'string' }, 'cooling-fixed-kw': { type: 'string' },
        'meter-port': { type: 'string' }, 'meter-preset': { type: 'string' }, 'meter-unit-id': { type: 'string' }, 'meter-noise-pct': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (values.miners === undefined || values['base-port'] === undefined) fail(`--miners and --base-port are required\n${USAGE}`);
  const miners = number('miners', values.miners, 0, 1);
  const basePort = number('base-port', values['base-port'], 0, 1);
  if (!Number.isInteger(miners)) fail('--miners: expected a whole number');
  if (!Number.isInteger(basePort) || basePort + miners - 1 > 65535) fail(`--base-port: ports ${basePort}..${basePort + miners - 1} do not fit`);
  let models: AsicModelKey[] | undefined;
  if (values.models) {
    models = values.models.split(',').map((k) => {
      try {
        return asicModel(k.trim()).key as AsicModelKey;
      } catch (e) {
        return fail(`--models: ${(e as Error).message}`);
      }
    });
  }
  const gpuHosts: GpuHostSpec[] = values['gpu-host'].map((spec) => {
    try {
      return parseGpuHostSpec(spec);
    } catch (e) {
      return fail(`--gpu-host ${spec}: ${(e as Error).message}`);
    }
  });
  const duplicate = gpuHosts.find((h, i) => gpuHosts.findIndex((o) => o.id === h.id) !== i);
  if (duplicate) fail(`--gpu-host: host id "${duplicate.id}" given twice`);
  const cooling = {
    fraction: number('cooling-fraction', values['cooling-fraction'], 0.1),
    fixedW: number('cooling-fixed-kw', values['cooling-fixed-kw'], 0) * 1000,
  };
  if (cooling.fraction > 2) fail(`--cooling-fraction: expected 0..2 (0.1 = 10 % of IT load), got "${values['cooling-fraction']}"`);
  const meterPort = values['meter-port'] === undefined ? undefined : number('meter-port', values['meter-port'], 0);
  if (meterPort !== undefined && (!Number.isInteger(meterPort) || meterPort > 65535)) fail(`--meter-port: expected a port 0..65535, got "${values['meter-port']}"`);
  const meterPreset = (values['meter-preset'] ?? 'sdm630') as MeterPresetName;
  if (!METER_PRESET_NAMES.includes(meterPreset)) fail(`--meter-preset: unknown meter "${values['meter-preset']}" (known: ${METER_PRESET_NAMES.join(', ')})`);
  const meterUnitId = number('meter-unit-id', values['meter-unit-id'], 1);
  if (!Number.isInteger(meterUnitId) || meterUnitId > 255) fail(`--meter-unit-id: expected a whole number 0..255, got "${values['meter-unit-id']}"`);
  const meterNoisePct = number('meter-noise-pct', values['meter-noise-pct'], DEFAULT_METER_NOISE_PCT);
  if (meterNoisePct > 5) fail(`--meter-noise-pct: expected 0..5, got "${values['meter-noise-pct']}"`);
  if (meterPort === undefined && (values['meter-preset'] ?? values['meter-unit-id'] ?? values['meter-noise-pct']) !== undefined) {
    fail('--meter-preset, --meter-unit-id and --meter-noise-pct need --meter-port');
  }
  const seed = number('seed', values.seed, 1);
  const site = new SimSite({
    miners, basePort, host: values.host, speed: number('speed', values.speed, 1, 1e-6), seed, gpuHosts, cooling,
    idPrefix: values['id-prefix'] ?? 'm',
    sessionTimeoutMs: number('session-timeout', values['session-timeout'], 60, 0.01) * 1000,
    physics: { tickS: number('tick', values.tick, 0.5, 0.001), bootS: number('boot', values.boot, 45) },
    ...(models ? { models } : {}),
  });
  for (const spec of values.fault) {
    const at = spec.indexOf(':');
    if (at < 0) fail(`--fault: expected MINER:NAME[=VALUE], got "${spec}"`);
    try {
      const patch: Partial<Faults> = parseFault(spec.slice(at + 1));
      Object.assign(site.miners[site.find(spec.slice(0, at))]!.faults, patch);
    } catch (e) {
      fail(`--fault ${spec}: ${(e as Error).message}`);
    }
  }
  const started = Date.now();
  try {
    await site.start();
  } catch (e) {
    fail(`cannot listen: ${(e as Error).message}`);
  }
  await Promise.all(site.servers.map((s) => s.sync()));
  const truthPort = number('truth-port', values['truth-port'], basePort - 1);
  let truth;
  try {
    truth = await startTruthServer(site, values.host, truthPort);
  } catch (e) {
    await site.stop();
    fail(`cannot listen for /truth on ${values.host}:${truthPort}: ${(e as Error).message}`);
  }
  const addr = truth.address();
  const tport = typeof addr === 'object' && addr ? addr.port : truthPort;
  let meter: ReturnType<typeof createSiteMeter> | undefined;
  let meterText = '';
  if (meterPort !== undefined) {
    meter = createSiteMeter({
      host: values.host, port: meterPort, unitId: meterUnitId, registerMap: METER_PRESETS[meterPreset],
      powerW: () => site.sitePowerW(), noisePct: meterNoisePct, seed,
    });
    try {
      const port = await meter.start();
      meterText = `, meter modbus-tcp ${values.host}:${port} (${meterPreset}, unit ${meterUnitId})`;
    } catch (e) {
      truth.close();
      await site.stop();
      fail(`cannot listen for the Modbus meter on ${values.host}:${meterPort}: ${(e as Error).message}`);
    }
  }
  const mix = [...new Set(site.miners.map((m) => m.unit.model.key))].join(',');
  const gpuCount = gpuHosts.reduce((s, h) => s + h.gpus, 0);
  const gpuText = gpuHosts.length ? `, ${gpuHosts.length} GPU host${gpuHosts.length > 1 ? 's' : ''} (${gpuCount} GPUs)` : '';
  process.stdout.write(
    `miner-sim: ${miners} miners listening on ${values.host}:${basePort}-${basePort + miners - 1} (${mix})${gpuText}, ` +
      `speed ${site.speed}x, truth http://${values.host}:${tport}/truth${meterText}, ready in ${Date.now() - started} ms\n`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    truth.close();
    truth.closeAllConnections();
    await meter?.stop();
    await site.stop();
    process.stderr.write(`miner-sim: stopped on ${signal}\n`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();

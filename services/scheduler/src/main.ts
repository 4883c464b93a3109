#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { redisTls } from '@wattbroker/bus';
import { createApi } from './http/app.js';
import { parseTokens } from './http/auth.js';
import { InputError, loadConfig, meterConfig, parseConfigFile } from './config.js';
import { Scheduler } from './app.js';

const USAGE = `usage: wattbroker-scheduler [--config scheduler.json] --cap-kw N [--redis URL] [--port 8080] [--host 127.0.0.1] [--advertise-url URL] [--margin-kw N]
       [--cooling-fixed-kw N] [--cooling-fraction F] [--hysteresis-kw N] [--min-dwell-s S] [--hashprice USD_PER_TH_DAY]
       [--gpu-draw off|peak|mean [--gpu-draw-starts-in-margin true|false]] [--miner-moves optimal|fewest]
       [--auth-failures-per-min 30] [--job-submissions-per-min 600] [--openadr-vtn URL --openadr-client-id ID
       --openadr-program NAME[,NAME] [--openadr-poll-s 10] [--openadr-silent-s 240] [--openadr-failsafe-kw N]
       [--openadr-simple-shed 0.25,0.5,1] [--openadr-token-url URL] [--openadr-allow-http true]] [--meter HOST[:PORT] --meter-preset sdm630|pm5xxx [--meter-unit-id N]]
       [--observe]   plan, explain and report, but send no command (WATTBROKER_OBSERVE=true)

Each flag also reads from the environment (WATTBROKER_REDIS_URL, WATTBROKER_CAP_KW, …), then from the config file
(--config or WATTBROKER_CONFIG). Secrets are never flags: API token hashes come from WATTBROKER_API_TOKENS
("name:role:sha256hex,…"), WATTBROKER_API_TOKENS_FILE or the config file; the OpenADR client secret from
WATTBROKER_OPENADR_CLIENT_SECRET or the config file. Make a token with \`wattbroker tokens generate\`.
The config file is JSON, the OpenADR VEN under "openadr":
see infra/scheduler.config.example.json. Flags win over the environment, which wins over the file.`;

const logger = pino({
  name: 'scheduler',
  level: process.env.LOG_LEVEL ?? 'info',
  redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'apiTokens', 'redisUrl', '*.apiTokens', '*.redisUrl', 'openadrClientSecret', '*.clientSecret', '*.openadrClientSecret'], censor: '[redacted]' },
});

async function main(): Promise<void> {
  const names = ['config', 'redis', 'host', 'port', 'advertise-url', 'cap-kw', 'margin-kw', 'cooling-fixed-kw', 'cooling-fraction', 'hysteresis-kw', 'min-dwell-s', 'silent-after-s', 'gpu-draw', 'gpu-draw-starts-in-margin', 'miner-moves', 'tick-ms', 'retention-days', 'fallback-after-s', 'hashprice', 'auth-failures-per-min', 'job-submissions-per-min',
    'openadr-vtn', 'openadr-client-id', 'openadr-program', 'openadr-poll-s', 'openadr-silent-s', 'openadr-failsafe-kw', 'openadr-simple-shed', 'openadr-token-url', 'openadr-allow-http', 'meter', 'meter-preset', 'meter-unit-id', 'meter-timeout-ms'];
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ options: { ...Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])), help: { type: 'boolean' as const }, observe: { type: 'boolean' as const } }, strict: true }));
  } catch (e) {
    process.stderr.write(`wattbroker-scheduler: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) return void process.stdout.write(USAGE + '\n');
  let config;
  let tokens;
  let meter;
  try {
    const file = (values.config as string | undefined) ?? process.env.WATTBROKER_CONFIG;
    const flags = { ...values, observe: values.observe === true ? 'true' : undefined } as Record<string, string | undefined>;
    config = loadConfig(flags, process.env, file ? parseConfigFile(await readFile(file, 'utf8'), file) : {});
    tokens = config.apiTokensFile
      ? parseTokens(await readFile(config.apiTokensFile, 'utf8'), config.apiTokensFile)
      : parseTokens(config.apiTokens!, 'WATTBROKER_API_TOKENS');
    meter = meterConfig(config);
    redisTls(config.redisUrl); // unreadable TLS files stop it here, named
  } catch (e) {
    process.stderr.write(`wattbroker-scheduler: ${e instanceof InputError ? e.message : (e as Error).message}\n`);
    process.exit(2);
  }
  const scheduler = new Scheduler({
    redisUrl: config.redisUrl, logger, contractCapW: config.capKw * 1000, marginW: config.marginKw * 1000, tickMs: config.tickMs,
    ...(config.hashpricePerThDay !== undefined ? { hashpricePerThDay: config.hashpricePerThDay } : {}),
    ...(config.openadrVtn ? {
      openadr: {
        vtnUrl: config.openadrVtn, clientId: config.openadrClientId!, clientSecret: config.openadrClientSecret!,
        programs: config.openadrProgram!.split(',').map((x) => x.trim()), pollMs: config.openadrPollS * 1000,
        silentAfterMs: config.openadrSilentS * 1000,
        shedFractions: Object.fromEntries(config.openadrSimpleShed.split(',').map((f, i) => [i + 1, Number(f)])) as Record<1 | 2 | 3, number>,
        ...(config.openadrFailsafeKw !== undefined ? { failSafeCapKw: config.openadrFailsafeKw } : {}),
        ...(config.openadrTokenUrl ? { tokenUrl: config.openadrTokenUrl } : {}),
        allowHttp: config.openadrAllowHttp,
      },
    } : {}),
    cooling: { fixedW: config.coolingFixedKw * 1000, fractionOfIt: config.coolingFraction },
    ...(meter ? { meter } : {}),
    observe: config.observe,
    retentionMs: config.retentionDays * 86_400_000,
    fallbackAfterMs: config.fallbackAfterS * 1000,
    policy: {
      hysteresisW: (config.hysteresisKw ?? Math.max(1, config.capKw * 0.005)) * 1000,
      minDwellMs: config.minDwellS * 1000,
      silentAfterMs: config.silentAfterS * 1000,
      gpuDraw: { mode: config.gpuDraw, startsInMargin: config.gpuDrawStartsInMargin },
      moves: { mode: config.minerMoves },
    },
  });
  // The API listens first, so that the leader can advertise where it answers.
  const app = createApi(scheduler, tokens, logger, { rateLimits: { authFailures: config.authFailuresPerMin, jobSubmissions: config.jobSubmissionsPerMin } });
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const srv = app.listen(config.port, config.host, () => resolve(srv));
    srv.once('error', reject);
  });
  const addr = server.address();
  // Where clients reach this API (a standby names the leader's): the configured URL, else the
  // address it listens on; a wildcard address is nobody's to reach, so this host's name instead.
  const listenPort = typeof addr === 'object' && addr ? addr.port : config.port;
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const url = config.advertiseUrl?.replace(/\/$/, '') ?? `http://${wildcard ? hostname() : config.host}:${listenPort}`;
  scheduler.advertise(url);
  await scheduler.start();
  logger.info({ url, role: scheduler.isLeader ? 'leader' : 'standby' }, 'API listening');
  process.stdout.write(`scheduler: API on ${url} (pid ${process.pid}, ${scheduler.isLeader ? 'leader' : 'standby'}${config.observe ? ', observe: no command is sent' : ''})\n`);
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    server.close();
    await scheduler.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();

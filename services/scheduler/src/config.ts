import { z } from 'zod';
import { ApiTokenListSchema, InputError, METER_PRESET_NAMES, formatTokenEntry, MeterConfigSchema, MeterRegisterMapSchema, parseInput, type MeterConfigInput } from '@wattbroker/contracts';

/**
 * The scheduler's settings, read once at start from flags and environment and validated;
 * nothing else in the service reads process.env.
 */
export const SchedulerConfigSchema = z.strictObject({
  redisUrl: z.string().regex(/^rediss?:\/\//, 'a redis:// URL'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** The URL clients reach this scheduler's API at (a standby names it): needed when `host` is a wildcard such as 0.0.0.0. */
  advertiseUrl: z.url({ protocol: /^https?$/ }).optional(),
  capKw: z.coerce.number().positive(),
  marginKw: z.coerce.number().nonnegative().default(0),
  coolingFixedKw: z.coerce.number().nonnegative().default(0),
  coolingFraction: z.coerce.number().min(0).max(2).default(0.1),
  hysteresisKw: z.coerce.number().nonnegative().optional(),
  minDwellS: z.coerce.number().nonnegative().default(10),
  silentAfterS: z.coerce.number().positive().default(2.5),
  /**
   * GPU draw credit (packages/core/src/policy/gpu-draw-credit.ts; docs/backtest.md): settled
   * GPUs budgeted at the peak or mean of their last minute's readings instead of their limits,
   * the room below their limits planned into the miners within the safety margin. Spends the
   * margin that otherwise absorbs model error. Off by default.
   */
  gpuDraw: z.enum(['off', 'peak', 'mean']).default('off'),
  /** With the credit on, GPU jobs may also start into the rest of the margin, the miners shedding after. */
  gpuDrawStartsInMargin: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /**
   * How the miners follow a changing budget (packages/core/src/policy/fewest-moves.ts):
   * `optimal` re-plans the fleet for each budget; `fewest` meets the change by moving as few
   * miners as possible (fewer profile transitions; hashrate within 0.5 % of the planner's).
   */
  minerMoves: z.enum(['optimal', 'fewest']).default('optimal'),
  tickMs: z.coerce.number().int().min(20).max(10_000).default(200),
  /** An agent that hears no leader this long applies the fallback it was armed with. */
  fallbackAfterS: z.coerce.number().min(1).max(3600).default(30),
  /** Finished jobs and past grid events are pruned after this many days. */
  retentionDays: z.coerce.number().positive().max(3650).default(7),
  hashpricePerThDay: z.coerce.number().positive().max(100).optional(),
  openadrVtn: z.url().optional(),
  openadrClientId: z.string().min(1).optional(),
  openadrClientSecret: z.string().min(1).optional(),
  /** Comma-separated program names. */
  openadrProgram: z.string().min(1).optional(),
  openadrPollS: z.coerce.number().positive().default(10),
  openadrSilentS: z.coerce.number().positive().default(240),
  openadrFailsafeKw: z.coerce.number().nonnegative().optional(),
  /** The VTN's token endpoint when it is not on the VTN's origin (the client secret is sent there). */
  openadrTokenUrl: z.url().optional(),
  /** Accept http:// VTN and token URLs (tests on loopback); otherwise https only. */
  openadrAllowHttp: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1').default(false),
  /** Shed fractions of the baseline for OpenADR SIMPLE levels 1, 2, 3. */
  openadrSimpleShed: z.string().regex(/^(0(\.\d+)?|1(\.0+)?)(,(0(\.\d+)?|1(\.0+)?)){2}$/, 'three fractions from 0 to 1, e.g. 0.25,0.5,1').default('0.25,0.5,1'),
  /** Site meter at the point of connection (Modbus TCP), `host[:port]`. */
  meter: z.string().regex(/^[^:\s]+(:\d{1,5})?$/, 'host or host:port').optional(),
  meterPreset: z.enum(METER_PRESET_NAMES).optional(),
  /** A register map as JSON (the config file's `meter.registerMap`), instead of a preset. */
  meterRegisterMap: z.string().optional(),
  meterUnitId: z.coerce.number().int().min(0).max(255).optional(),
  meterTimeoutMs: z.coerce.number().int().min(10).max(60_000).optional(),
  /** Plan, explain and report, but command nothing (a trial beside the site's current tooling). */
  observe: z.enum(['true', 'false', '1', '0']).transform((x) => x === 'true' || x === '1').default(false),
  /** `name:role:sha256hex` entries (never raw tokens, never from a flag: see docs/security.md). */
  apiTokens: z.string().optional(),
  /** A file of such entries, or a JSON list of {name, role, sha256}. */
  apiTokensFile: z.string().min(1).optional(),
  /** Failed authentications allowed per client address and minute, then 429. */
  authFailuresPerMin: z.coerce.number().int().min(1).max(100_000).default(30),
  /** Job submissions allowed per tenant (token name) and minute, then 429. */
  jobSubmissionsPerMin: z.coerce.number().int().min(1).max(1_000_000).default(600),
}).refine((c) => c.marginKw < c.capKw, { path: ['marginKw'], message: 'must be below capKw' })
  .refine((c) => (c.apiTokens !== undefined && c.apiTokens.trim() !== '') || c.apiTokensFile !== undefined, {
    path: ['apiTokens'], message: 'set WATTBROKER_API_TOKENS ("name:role:sha256hex,…") or WATTBROKER_API_TOKENS_FILE, or apiTokens in the config file',
  })
  .refine((c) => c.apiTokens === undefined || c.apiTokensFile === undefined, { path: ['apiTokensFile'], message: 'give the tokens or a tokens file, not both' })
  .refine((c) => !c.meter || c.meterPreset !== undefined || c.meterRegisterMap !== undefined, {
    path: ['meterPreset'], message: `a meter needs a preset (${METER_PRESET_NAMES.join(', ')}) or a register map`,
  })
  .refine((c) => !c.openadrVtn || c.openadrAllowHttp || c.openadrVtn.startsWith('https://'), {
    path: ['openadrVtn'], message: 'must be https:// (http only with openadr.allowHttp / WATTBROKER_OPENADR_ALLOW_HTTP=1, for tests)',
  })
  .refine((c) => !c.openadrTokenUrl || c.openadrAllowHttp || c.openadrTokenUrl.startsWith('https://'), {
    path: ['openadrTokenUrl'], message: 'must be https:// (http only with openadr.allowHttp, for tests)',
  })
  .refine((c) => !c.openadrVtn || (c.openadrClientId && c.openadrClientSecret && c.openadrProgram), {
    path: ['openadrVtn'], message: 'an OpenADR VTN needs a client id, a client secret and a program',
  });

export type SchedulerConfig = z.infer<typeof SchedulerConfigSchema>;

const kw = z.number().nonnegative().max(1e6);

/**
 * The scheduler's config file (`--config FILE` or WATTBROKER_CONFIG): the same settings as
 * the flags, grouped, with the OpenADR VEN under `openadr`. Flags and environment variables
 * override what the file says (a secret is best left to WATTBROKER_OPENADR_CLIENT_SECRET and
 * WATTBROKER_API_TOKENS, which the file does not hold). See infra/scheduler.config.example.json.
 */
export const SchedulerFileSchema = z.strictObject({
  redisUrl: z.string().optional(),
  host: z.string().optional(),
  port: z.number().int().optional(),
  advertiseUrl: z.string().optional(),
  capKw: kw.optional(),
  marginKw: kw.optional(),
  coolingFixedKw: kw.optional(),
  coolingFraction: z.number().optional(),
  hysteresisKw: kw.optional(),
  minDwellS: z.number().optional(),
  silentAfterS: z.number().optional(),
  gpuDraw: z.enum(['off', 'peak', 'mean']).optional(),
  gpuDrawStartsInMargin: z.boolean().optional(),
  minerMoves: z.enum(['optimal', 'fewest']).optional(),
  tickMs: z.number().int().optional(),
  retentionDays: z.number().optional(),
  fallbackAfterS: z.number().optional(),
  hashpricePerThDay: z.number().optional(),
  observe: z.boolean().optional(),
  /** Hashes of the API tokens (a hash is safe to keep in a file; the token is not). */
  apiTokens: ApiTokenListSchema.optional(),
  apiTokensFile: z.string().min(1).optional(),
  authFailuresPerMin: z.number().int().optional(),
  jobSubmissionsPerMin: z.number().int().optional(),
  openadr: z.strictObject({
    vtnUrl: z.url(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    programs: z.array(z.string().min(1).regex(/^[^,]+$/, 'no commas in a program name')).min(1),
    pollS: z.number().positive().optional(),
    silentS: z.number().positive().optional(),
    failsafeKw: kw.optional(),
    /** The token endpoint, when not on the VTN's origin. */
    tokenUrl: z.url().optional(),
    /** Accept http:// URLs (tests only). */
    allowHttp: z.boolean().optional(),
    /** Shed fractions of the baseline for SIMPLE levels 1, 2 and 3. */
    simpleShed: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1)]).optional(),
  }).optional(),
  /** The site meter (see docs/meter.md): `{host, port?, unitId?, preset | registerMap, timeoutMs?}`. */
  meter: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    unitId: z.number().int().min(0).max(255).optional(),
    preset: z.enum(METER_PRESET_NAMES).optional(),
    registerMap: MeterRegisterMapSchema.optional(),
    timeoutMs: z.number().int().optional(),
  }).optional(),
});

export type SchedulerFile = z.infer<typeof SchedulerFileSchema>;

/** The file's settings under the flat names the flags use. */
function fromFile(f: SchedulerFile): Record<string, string> {
  const { openadr, meter, apiTokens, ...flat } = f;
  const out: Record<string, unknown> = { ...flat, apiTokens: apiTokens?.map(formatTokenEntry).join(',') };
  if (meter) {
    Object.assign(out, {
      meter: meter.port === undefined ? meter.host : `${meter.host}:${meter.port}`, meterPreset: meter.preset, meterUnitId: meter.unitId,
      meterTimeoutMs: meter.timeoutMs, meterRegisterMap: meter.registerMap ? JSON.stringify(meter.registerMap) : undefined,
    });
  }
  if (openadr) {
    Object.assign(out, {
      openadrVtn: openadr.vtnUrl, openadrClientId: openadr.clientId, openadrClientSecret: openadr.clientSecret,
      openadrProgram: openadr.programs.join(','), openadrPollS: openadr.pollS, openadrSilentS: openadr.silentS,
      openadrFailsafeKw: openadr.failsafeKw, openadrSimpleShed: openadr.simpleShed?.join(','),
      openadrTokenUrl: openadr.tokenUrl, openadrAllowHttp: openadr.allowHttp,
    });
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
}

/** Parse a config file's text; errors name the file and the field. */
export function parseConfigFile(text: string, path: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(path, [{ field: '(file)', message: `not JSON (${(e as Error).message})` }]);
  }
  return fromFile(parseInput(SchedulerFileSchema, json, path));
}

/** Settings from flags, then the environment, then the config file (parsed with parseConfigFile), then defaults. */
export function loadConfig(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv, file: Record<string, string> = {}): SchedulerConfig {
  const pick = (flag: string, envName: string) => flags[flag] ?? env[envName] ?? file[camel(flag)];
  const raw = Object.fromEntries(Object.entries({
    redisUrl: pick('redis', 'WATTBROKER_REDIS_URL'),
    host: pick('host', 'WATTBROKER_HOST'),
    port: pick('port', 'WATTBROKER_PORT'),
    advertiseUrl: pick('advertise-url', 'WATTBROKER_ADVERTISE_URL'),
    capKw: pick('cap-kw', 'WATTBROKER_CAP_KW'),
    marginKw: pick('margin-kw', 'WATTBROKER_MARGIN_KW'),
    coolingFixedKw: pick('cooling-fixed-kw', 'WATTBROKER_COOLING_FIXED_KW'),
    coolingFraction: pick('cooling-fraction', 'WATTBROKER_COOLING_FRACTION'),
    hysteresisKw: pick('hysteresis-kw', 'WATTBROKER_HYSTERESIS_KW'),
    minDwellS: pick('min-dwell-s', 'WATTBROKER_MIN_DWELL_S'),
    silentAfterS: pick('silent-after-s', 'WATTBROKER_SILENT_AFTER_S'),
    gpuDraw: pick('gpu-draw', 'WATTBROKER_GPU_DRAW'),
    gpuDrawStartsInMargin: pick('gpu-draw-starts-in-margin', 'WATTBROKER_GPU_DRAW_STARTS_IN_MARGIN'),
    minerMoves: pick('miner-moves', 'WATTBROKER_MINER_MOVES'),
    tickMs: pick('tick-ms', 'WATTBROKER_TICK_MS'),
    retentionDays: pick('retention-days', 'WATTBROKER_RETENTION_DAYS'),
    fallbackAfterS: pick('fallback-after-s', 'WATTBROKER_FALLBACK_AFTER_S'),
    hashpricePerThDay: pick('hashprice', 'WATTBROKER_HASHPRICE'),
    openadrVtn: pick('openadr-vtn', 'WATTBROKER_OPENADR_VTN'),
    openadrClientId: pick('openadr-client-id', 'WATTBROKER_OPENADR_CLIENT_ID'),
    // Secrets never come from flags (a process list shows them): environment or file only.
    openadrClientSecret: env.WATTBROKER_OPENADR_CLIENT_SECRET ?? file.openadrClientSecret,
    openadrProgram: pick('openadr-program', 'WATTBROKER_OPENADR_PROGRAM'),
    openadrPollS: pick('openadr-poll-s', 'WATTBROKER_OPENADR_POLL_S'),
    openadrSilentS: pick('openadr-silent-s', 'WATTBROKER_OPENADR_SILENT_S'),
    openadrFailsafeKw: pick('openadr-failsafe-kw', 'WATTBROKER_OPENADR_FAILSAFE_KW'),
    openadrSimpleShed: pick('openadr-simple-shed', 'WATTBROKER_OPENADR_SIMPLE_SHED'),
    openadrTokenUrl: pick('openadr-token-url', 'WATTBROKER_OPENADR_TOKEN_URL'),
    openadrAllowHttp: pick('openadr-allow-http', 'WATTBROKER_OPENADR_ALLOW_HTTP'),
    meter: pick('meter', 'WATTBROKER_METER'),
    meterPreset: pick('meter-preset', 'WATTBROKER_METER_PRESET'),
    meterUnitId: pick('meter-unit-id', 'WATTBROKER_METER_UNIT_ID'),
    meterTimeoutMs: pick('meter-timeout-ms', 'WATTBROKER_METER_TIMEOUT_MS'),
    meterRegisterMap: file.meterRegisterMap,
    observe: flags.observe ?? env.WATTBROKER_OBSERVE ?? file.observe,
    ...tokenSource(env, file),
    authFailuresPerMin: pick('auth-failures-per-min', 'WATTBROKER_AUTH_FAILURES_PER_MIN'),
    jobSubmissionsPerMin: pick('job-submissions-per-min', 'WATTBROKER_JOB_SUBMISSIONS_PER_MIN'),
  }).filter(([, v]) => v !== undefined));
  return parseInput(SchedulerConfigSchema, raw, 'scheduler config');
}

/** The one source of API token entries: the environment's entries, its file, the config file's entries, its file — the first given. */
function tokenSource(env: NodeJS.ProcessEnv, file: Record<string, string>): { apiTokens?: string; apiTokensFile?: string } {
  if (env.WATTBROKER_API_TOKENS !== undefined) return { apiTokens: env.WATTBROKER_API_TOKENS };
  if (env.WATTBROKER_API_TOKENS_FILE !== undefined) return { apiTokensFile: env.WATTBROKER_API_TOKENS_FILE };
  return { ...(file.apiTokens !== undefined ? { apiTokens: file.apiTokens } : {}), ...(file.apiTokensFile !== undefined ? { apiTokensFile: file.apiTokensFile } : {}) };
}

/** Flag name → the flat setting name (`openadr-client-id` → `openadrClientId`, `cap-kw` → `capKw`). */
function camel(flag: string): string {
  const special: Record<string, string> = {
    redis: 'redisUrl', hashprice: 'hashpricePerThDay', 'openadr-vtn': 'openadrVtn', 'openadr-program': 'openadrProgram',
  };
  return special[flag] ?? flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export { InputError };

/** The site meter's driver settings from the scheduler's, checked here (errors name the field), or undefined without a meter. */
export function meterConfig(c: SchedulerConfig): MeterConfigInput | undefined {
  if (!c.meter) return undefined;
  const [host, port] = c.meter.split(':') as [string, string | undefined];
  const input: MeterConfigInput = {
    host, ...(port ? { port: Number(port) } : {}), ...(c.meterUnitId !== undefined ? { unitId: c.meterUnitId } : {}),
    ...(c.meterTimeoutMs !== undefined ? { timeoutMs: c.meterTimeoutMs } : {}),
    ...(c.meterRegisterMap ? { registerMap: JSON.parse(c.meterRegisterMap) as MeterConfigInput['registerMap'] } : { preset: c.meterPreset }),
  };
  parseInput(MeterConfigSchema, input, 'scheduler config meter');
  return input;
}

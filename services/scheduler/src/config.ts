import { z } from 'zod';
import { InputError, parseInput } from '@wattbroker/contracts';

/**
 * The scheduler's settings, read once at start from flags and environment and validated;
 * nothing else in the service reads process.env.
 */
export const SchedulerConfigSchema = z.strictObject({
  redisUrl: z.string().regex(/^rediss?:\/\//, 'a redis:// URL'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  capKw: z.coerce.number().positive(),
  marginKw: z.coerce.number().nonnegative().default(0),
  coolingFixedKw: z.coerce.number().nonnegative().default(0),
  coolingFraction: z.coerce.number().min(0).max(2).default(0.1),
  hysteresisKw: z.coerce.number().nonnegative().optional(),
  minDwellS: z.coerce.number().nonnegative().default(10),
  silentAfterS: z.coerce.number().positive().default(2.5),
  tickMs: z.coerce.number().int().min(20).max(10_000).default(200),
  hashpricePerThDay: z.coerce.number().positive().max(100).optional(),
  openadrVtn: z.url().optional(),
  openadrClientId: z.string().min(1).optional(),
  openadrClientSecret: z.string().min(1).optional(),
  /** Comma-separated program names. */
  openadrProgram: z.string().min(1).optional(),
  openadrPollS: z.coerce.number().positive().default(10),
  openadrSilentS: z.coerce.number().positive().default(240),
  openadrFailsafeKw: z.coerce.number().nonnegative().optional(),
  /** Shed fractions of the baseline for OpenADR SIMPLE levels 1, 2, 3. */
  openadrSimpleShed: z.string().regex(/^(0(\.\d+)?|1(\.0+)?)(,(0(\.\d+)?|1(\.0+)?)){2}$/, 'three fractions from 0 to 1, e.g. 0.25,0.5,1').default('0.25,0.5,1'),
  apiTokens: z.string().min(1, 'set WATTBROKER_API_TOKENS or --tokens ("operator:TOKEN,viewer:TOKEN")'),
}).refine((c) => c.marginKw < c.capKw, { path: ['marginKw'], message: 'must be below capKw' })
  .refine((c) => !c.openadrVtn || (c.openadrClientId && c.openadrClientSecret && c.openadrProgram), {
    path: ['openadrVtn'], message: 'an OpenADR VTN needs a client id, a client secret and a program',
  });

export type SchedulerConfig = z.infer<typeof SchedulerConfigSchema>;

export function loadConfig(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv): SchedulerConfig {
  const pick = (flag: string, envName: string) => flags[flag] ?? env[envName];
  const raw = Object.fromEntries(Object.entries({
    redisUrl: pick('redis', 'WATTBROKER_REDIS_URL'),
    host: pick('host', 'WATTBROKER_HOST'),
    port: pick('port', 'WATTBROKER_PORT'),
    capKw: pick('cap-kw', 'WATTBROKER_CAP_KW'),
    marginKw: pick('margin-kw', 'WATTBROKER_MARGIN_KW'),
    coolingFixedKw: pick('cooling-fixed-kw', 'WATTBROKER_COOLING_FIXED_KW'),
    coolingFraction: pick('cooling-fraction', 'WATTBROKER_COOLING_FRACTION'),
    hysteresisKw: pick('hysteresis-kw', 'WATTBROKER_HYSTERESIS_KW'),
    minDwellS: pick('min-dwell-s', 'WATTBROKER_MIN_DWELL_S'),
    silentAfterS: pick('silent-after-s', 'WATTBROKER_SILENT_AFTER_S'),
    tickMs: pick('tick-ms', 'WATTBROKER_TICK_MS'),
    hashpricePerThDay: pick('hashprice', 'WATTBROKER_HASHPRICE'),
    openadrVtn: pick('openadr-vtn', 'WATTBROKER_OPENADR_VTN'),
    openadrClientId: pick('openadr-client-id', 'WATTBROKER_OPENADR_CLIENT_ID'),
    openadrClientSecret: pick('openadr-client-secret', 'WATTBROKER_OPENADR_CLIENT_SECRET'),
    openadrProgram: pick('openadr-program', 'WATTBROKER_OPENADR_PROGRAM'),
    openadrPollS: pick('openadr-poll-s', 'WATTBROKER_OPENADR_POLL_S'),
    openadrSilentS: pick('openadr-silent-s', 'WATTBROKER_OPENADR_SILENT_S'),
    openadrFailsafeKw: pick('openadr-failsafe-kw', 'WATTBROKER_OPENADR_FAILSAFE_KW'),
    openadrSimpleShed: pick('openadr-simple-shed', 'WATTBROKER_OPENADR_SIMPLE_SHED'),
    apiTokens: pick('tokens', 'WATTBROKER_API_TOKENS') ?? '',
  }).filter(([, v]) => v !== undefined));
  return parseInput(SchedulerConfigSchema, raw, 'scheduler config');
}

export { InputError };

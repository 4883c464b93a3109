import fc from 'fast-check';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Agent, AsicHost } from '@wattbroker/agent';
import { openRedis, startEmbeddedRedis, type EmbeddedRedis } from '@wattbroker/bus';
import {
  AgentCommandSchema, ArmCommandSchema, BULL_PREFIX, FallbackCommandSchema, agentArmedKey, agentEpochKey, agentFallbackKey, commandQueue, type HostConfig,
} from '@wattbroker/contracts';
import type { SimSite } from '@wattbroker/miner-sim';
import { FUZZ_RUNS, FUZZ_SEED, brokenMessage, junkValues } from '@wattbroker/testkit';
import { startSim } from '../src/sim.js';

/**
 * Fuzzing what the scheduler sends an agent, through its real BullMQ command queue into a
 * real agent driving emulated miners over TCP: commands, armed sheds and fallbacks, each
 * broken in one place (a key set to junk, dropped or added; the whole message replaced).
 * Every one fails its job and changes nothing: no miner is written, the agent's epoch, armed
 * sheds and fallback in Redis stay as they were.
 */
const RUNS = Math.max(30, Math.round(FUZZ_RUNS / 10));
const SEED = FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {};

const junk = junkValues('sleep', 'default', '640MHz,x=1', 'rack-1', 'm0');
const broken = (template: Record<string, unknown>) => brokenMessage(template, junk, ['extra', 'hostid'], [
  // A device entry broken instead (an unknown kind, a profile that is not a string, …).
  { weight: 2, arbitrary: junk.map((v) => ({ ...template, devices: { m0: v } })) },
]);

describe('commands into an agent under fuzzing (real BullMQ, emulated miners over TCP)', () => {
  let redis: EmbeddedRedis;
  let site: SimSite;
  let agent: Agent;
  const connections: Array<ReturnType<typeof openRedis>> = [];

  beforeAll(async () => {
    redis = await startEmbeddedRedis({ appendOnly: false });
    site = await startSim({ miners: 2, models: ['s19kpro'], speed: 50, seed: 3 });
    const config: HostConfig = {
      hostId: 'rack-1', kind: 'asic', concurrency: 4, hostOverheadW: 0, fastWake: true,
      miners: site.miners.map((m, i) => ({ id: `m${i}`, driver: 'luxos' as const, host: '127.0.0.1', port: m.port })),
    };
    agent = new Agent({ config, redisUrl: redis.url, devices: new AsicHost(config as Extract<HostConfig, { kind: 'asic' }>), logger: pino({ level: 'silent' }) });
    await agent.start();
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    for (const c of connections) c.disconnect();
    await site?.stop();
    await redis?.stop();
  }, 30_000);

  it(`refuses ${RUNS} broken commands, sheds and fallbacks: every job fails, no miner is written, the agent's state stays`, async () => {
    const now = Date.now();
    const command = { commandId: 'c-1', hostId: 'rack-1', epoch: 1, issuedAt: now, devices: { m0: { kind: 'asic', profile: '640MHz' } } };
    const arm = { eventId: 'ev-1', hostId: 'rack-1', epoch: 1, startsAt: now + 60_000, endsAt: now + 120_000, devices: { m0: { kind: 'asic', profile: 'sleep' } } };
    const fallback = { hostId: 'rack-1', epoch: 1, issuedAt: now, afterMs: 30_000, devices: { m0: { kind: 'asic', profile: 'sleep' } } };
    const gen = fc.oneof(
      broken(command).filter((m) => !AgentCommandSchema.safeParse(m).success).map((data) => ({ name: 'command', data })),
      broken(arm).filter((m) => !ArmCommandSchema.safeParse(m).success).map((data) => ({ name: 'arm', data })),
      broken(fallback).filter((m) => !FallbackCommandSchema.safeParse(m).success).map((data) => ({ name: 'fallback', data })),
    );
    const jobs = fc.sample(gen, { numRuns: RUNS, ...SEED });
    const r = openRedis(redis.url);
    connections.push(r);
    const state = async () => JSON.stringify(await r.multi().get(agentEpochKey('rack-1')).hgetall(agentArmedKey('rack-1')).get(agentFallbackKey('rack-1')).exec());
    const before = await state();
    const truths = site.miners.map((m) => m.truth().profile);
    const written: string[] = [];
    // Reads go on (telemetry); a write would need a session first.
    const WRITES = new Set(['logon', 'profileset', 'curtail', 'atmset', 'logoff', 'kill']);
    for (const m of site.miners) m.on('command', (a: { command: string }) => { if (WRITES.has(a.command)) written.push(a.command); });
    const conn = openRedis(redis.url);
    connections.push(conn);
    const q = new Queue(commandQueue('rack-1'), { connection: conn, prefix: BULL_PREFIX });
    await q.addBulk(jobs);
    const started = Date.now();
    while ((await q.getFailedCount()) + (await q.getCompletedCount()) < RUNS && Date.now() - started < 60_000) await new Promise((res) => setTimeout(res, 100));
    expect(await q.getCompletedCount()).toBe(0);
    expect(await q.getFailedCount()).toBe(RUNS);
    expect(written).toEqual([]);
    expect(site.miners.map((m) => m.truth().profile)).toEqual(truths);
    expect(await state()).toBe(before);
    await q.close();
    process.stdout.write(`agent queue fuzz: ${RUNS} commands refused\n`);
  }, 120_000);
});

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToStream } from '@wattbroker/bus';
import { AgentMessageSchema, KEYS, TelemetryBatchSchema, resultsStream, telemetryStream } from '@wattbroker/contracts';
import { FUZZ_RUNS, FUZZ_SEED, brokenMessage, junkValues, nextEvent, waitFor } from '@wattbroker/testkit';
import { startInProcessSite } from '../in-process-site.js';
import { canonical } from './canonical.js';

/**
 * Fuzzing what agents send the scheduler, through the real bus: generated (invalid) messages
 * (registrations, command results, job ends) on a host's own results stream, and telemetry
 * batches on its own telemetry stream, each written with that host's Redis user, into the
 * scheduler in this process. Every one is refused (counted in `/v1/bus`) and changes nothing:
 * no host appears or goes, the stored state is as before, the scheduler still leads and answers.
 */
const junk = junkValues('x'.repeat(200), 'asic-1', 'gpu-1');
const broken = (template: Record<string, unknown>) => brokenMessage(template, junk, ['extra', 'hostid', 'epochs']);

describe('agent messages into the scheduler under fuzzing (real BullMQ and stream)', () => {
  let site: Awaited<ReturnType<typeof startInProcessSite>>;
  const n = Math.max(10, Math.round(FUZZ_RUNS / 10));

  beforeAll(async () => {
    // The lease runs on real time, the site on the virtual clock, which stands still here: a long lease.
    site = await startInProcessSite({ miners: 4, gpuHosts: [{ id: 'gpu-1', gpus: 2 }], capW: 40_000, leaseTtlMs: 600_000 });
    await site.run(2000);
  }, 60_000);
  afterAll(() => site?.stop(), 30_000);

  const snapshot = async () => canonical(await site.redis.multi().get(KEYS.contract).hgetall(KEYS.hosts).hgetall(KEYS.jobs).hgetall(KEYS.gridEvents).hgetall(KEYS.overrides).exec());
  const hostIds = () => site.s.read.hosts().map((h) => h.hostId).sort();

  it(`refuses ${n} broken agent messages on a host's results stream and changes nothing`, async () => {
    const now = Date.now();
    const register = { type: 'register', hostId: 'asic-1', kind: 'asic', hostOverheadW: 0, devices: [...site.hosts.get('asic-1')!.devices.values()].slice(0, 1).map((d) => d.inv), sentAt: now };
    const result = { type: 'result', hostId: 'asic-1', commandId: 'c-1', epoch: site.s.epoch, stale: false, receivedAt: now, sentAt: now, devices: { x: { ok: true, confirmed: true } } };
    const job = { type: 'job', hostId: 'gpu-1', jobId: 'job-x', state: 'done', sentAt: now };
    const messages = fc.sample(fc.oneof(broken(register), broken(result), broken(job)).filter((m) => !AgentMessageSchema.safeParse(m).success), { numRuns: n, ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}) });
    const before = await snapshot();
    const hosts = hostIds();
    const refused = () => { const r = site.s.read.bus().refused; return r.invalid + r.foreignHost; };
    const refusedBefore = refused();
    for (const m of messages) await appendToStream(site.agentRedis('asic-1'), resultsStream('asic-1'), m);
    await waitFor(`${n} messages refused`, () => refused() - refusedBefore >= n, { timeoutMs: 60_000, intervalMs: 100 });
    expect(refused() - refusedBefore).toBe(n);
    expect(await snapshot()).toBe(before);
    expect(hostIds()).toEqual(hosts);
    expect(site.s.isLeader).toBe(true);
    expect((await site.api('/v1/site')).status).toBe(200);
    process.stdout.write(`queue fuzz: ${n} results-stream messages refused\n`);
  }, 120_000);

  it(`skips ${n} broken telemetry batches and changes nothing`, async () => {
    const reading = [...site.hosts.get('asic-1')!.devices.values()][0]!.reading;
    const batch = { hostId: 'asic-1', seq: 1, sentAt: Date.now(), epoch: 0, hostOverheadW: 0, devices: [reading] };
    const batches = fc.sample(broken(batch).filter((b) => !TelemetryBatchSchema.safeParse(b).success), { numRuns: n, ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}) });
    const before = await snapshot();
    const hosts = hostIds();
    const epoch = site.s.epoch;
    let folded = 0;
    const count = () => void folded++;
    site.s.on('telemetry', count);
    for (const b of batches) await appendToStream(site.agentRedis('asic-1'), telemetryStream('asic-1'), b);
    // A valid batch after them on the same stream: once it is folded in, every broken one before it has been read.
    const sentinel = nextEvent<{ hostId: string }>(site.s, 'telemetry', (e) => e.hostId === 'asic-1', 30_000);
    await appendToStream(site.agentRedis('asic-1'), telemetryStream('asic-1'), { ...batch, seq: 2, sentAt: Date.now() });
    await sentinel;
    site.s.off('telemetry', count);
    expect(folded).toBe(1);
    expect(await snapshot()).toBe(before);
    expect(hostIds()).toEqual(hosts);
    expect(site.s.epoch).toBe(epoch);
    expect(site.s.isLeader).toBe(true);
    process.stdout.write(`queue fuzz: ${n} telemetry batches skipped\n`);
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobTransition } from '@wattbroker/core';
import { nextEvent } from '@wattbroker/testkit';
import { TENANT, startInProcessSite } from './in-process-site.js';

/**
 * Admission through the real REST API and scheduler (in this process, virtual clock, real
 * Redis and BullMQ): a job that can never run is refused at submission, and a large job
 * waiting for power does not hold back small jobs that fit and end before it can start.
 */
describe('admission that cannot be jammed (scheduler in-process, virtual clock, real Redis)', () => {
  let site: Awaited<ReturnType<typeof startInProcessSite>>;
  const stockW = 10 * 3300;

  beforeAll(async () => {
    site = await startInProcessSite({ miners: 10, gpuHosts: [{ id: 'gpu-1', gpus: 8 }], capW: (stockW + 8 * 700) * 1.1 });
    await site.run(5000);
  }, 60_000);
  afterAll(() => site?.stop(), 30_000);

  it('refuses a job that can never run with 422 naming the field, and changes nothing', async () => {
    const before = (await site.api<unknown[]>('/v1/jobs')).body.length;
    const r = await site.api<any>('/v1/jobs', { method: 'POST', token: TENANT, body: { class: 'critical', gpus: 16, durationS: 60 } });
    expect(r.status).toBe(422);
    expect(r.type).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 422, errors: [{ field: 'gpus' }] });
    expect(r.body.detail).toBe('gpus: 16 GPUs on one host, but the largest GPU host has 8');
    const unknown = await site.api<any>('/v1/jobs', { method: 'POST', token: TENANT, body: { class: 'vip', gpus: 1, durationS: 60 } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).toMatch(/^class: not a gpu class of the priority list/);
    expect((await site.api<unknown[]>('/v1/jobs')).body.length).toBe(before);
  });

  it('starts 1- and 2-GPU jobs within seconds while an 8-GPU job waits for power, and that job keeps its reservation', async () => {
    // A grid cap for 90 s that leaves 1.6 kW for GPU jobs with every miner asleep: the
    // 8-GPU job (4 kW above idle) cannot run until it ends; a 1- and a 2-GPU job (1.5 kW) can.
    const itFloorW = 10 * 25 + 8 * 200;
    const capKw = Math.round(((itFloorW + 1600) * 1.1) / 10) / 100;
    const now = site.clock.now();
    const event = await site.api<any>('/v1/grid/events', {
      method: 'POST', body: { capKw, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 90_000).toISOString(), mandatory: false },
    });
    expect(event.status).toBe(201);
    await site.run(3000);

    const started = new Map<string, number>();
    site.s.on('job:transition', (t: JobTransition) => {
      if (t.to === 'running') started.set(t.job.id, t.at);
    });
    const submit = async (gpus: number, durationS: number) => (await site.api<{ id: string }>('/v1/jobs', { method: 'POST', token: TENANT, body: { class: 'standard', gpus, durationS } })).body.id;
    const submittedAt = site.clock.now();
    const big = await submit(8, 60);
    const small = [await submit(1, 20), await submit(2, 20)];
    for (let t = 0; t < 5000 && !small.every((id) => started.has(id)); t += 1000) await site.run(1000);
    for (const id of small) expect(started.get(id)! - submittedAt).toBeLessThanOrEqual(5000);

    const waiting = (await site.api<any>(`/v1/jobs/${big}`)).body;
    expect(waiting.state).toBe('queued');
    expect(waiting.waitReason).toMatch(/; expected to start by .* \(reserved\)$/);
    const plan = (await site.api<any>('/v1/plan')).body;
    const entry = plan.waiting.find((w: { jobId: string }) => w.jobId === big);
    expect(Date.parse(entry.reservedFrom)).toBe(now + 90_000);
    // The small jobs end long before the reservation; the big job starts when the cap ends.
    const bigRuns = nextEvent<JobTransition>(site.s, 'job:transition', (t) => t.job.id === big && t.to === 'running', 60_000);
    await site.run(100_000 - (site.clock.now() - now));
    const t = await bigRuns;
    expect(t.at).toBeGreaterThanOrEqual(now + 90_000);
    expect(t.at - (now + 90_000)).toBeLessThanOrEqual(5000);
  }, 120_000);
});

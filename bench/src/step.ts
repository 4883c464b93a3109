/**
 * `pnpm bench:step [--miners 10000] [--json]`: one control step of the core (observe →
 * snapshot → plan → commit) on a site of N catalog miners on 50 hosts plus 4 GPU hosts × 8,
 * in steady state (every device on target, telemetry arriving, nothing to change), and beside
 * it in the same run: the parts of the step (snapshot, plan, commit), and two floors it cannot
 * beat — one pass over every device summing its reading (the least any step must do), and a
 * planner re-solve alone. Pure CPU; no Redis, no sockets.
 */
import { parseArgs } from 'node:util';
import type { TelemetryBatch } from '@wattbroker/contracts';
import {
  Controller, GPU_MODELS, PlannerMemo, commitPlan, deriveSnapshot, generateFleet, observePrice, plan, plannerProfiles,
} from '@wattbroker/core';
import { machine, median, percentile, progress, wantsJson } from './stats.js';

const { values } = parseArgs({ options: { miners: { type: 'string', default: '10000' }, steps: { type: 'string', default: '400' }, json: { type: 'boolean' } } });
const MINERS = Number(values.miners);
const STEPS = Number(values.steps);
const ASIC_HOSTS = 50;
const GPU_HOSTS = 4;
const GPUS = 8;

const fleet = generateFleet({ miners: MINERS, seed: 42 });
const stockW = fleet.reduce((s, u) => s + u.model.nominalW, 0);
const cooling = { fixedW: 0, fractionOfIt: 0.1 };
const c = new Controller({ contract: { capW: (stockW * 0.85 + GPU_HOSTS * GPUS * 700) * 1.1, marginW: 0 }, cooling, policy: { hysteresisW: stockW * 0.005, minDwellMs: 0, maxWakesPerStep: 1_000_000 } });
const h100 = GPU_MODELS.h100;

// The site: miners obey at once; telemetry shows them at their target with their unit's bias.
const per = Math.ceil(MINERS / ASIC_HOSTS);
const state = new Map(fleet.map((u) => [u.id, { profiles: plannerProfiles(u), bias: u.powerBias, profile: 'default' }]));
const hostOf = new Map<string, string>();
for (let h = 0; h < ASIC_HOSTS; h++) {
  const units = fleet.slice(h * per, (h + 1) * per);
  for (const u of units) hostOf.set(u.id, `asic-${h}`);
  c.register({ hostId: `asic-${h}`, kind: 'asic', hostOverheadW: 0, devices: units.map((u) => ({ id: u.id, kind: 'asic' as const, model: u.model.name, profiles: plannerProfiles(u), sleepW: 25 })) }, 0);
}
for (let h = 0; h < GPU_HOSTS; h++) {
  c.register({ hostId: `gpu-${h}`, kind: 'gpu', hostOverheadW: 400, devices: Array.from({ length: GPUS }, (_, i) => ({ id: `g${h}-${i}`, kind: 'gpu' as const, model: h100.name, minLimitW: h100.minLimitW, maxLimitW: h100.maxLimitW, idleW: h100.idleW })) }, 0);
}
const applied = new Map<string, string>();
const batches = (): Array<Pick<TelemetryBatch, 'hostId' | 'hostOverheadW' | 'devices'>> => {
  const out: Array<Pick<TelemetryBatch, 'hostId' | 'hostOverheadW' | 'devices'>> = [];
  for (let h = 0; h < ASIC_HOSTS; h++) {
    out.push({ hostId: `asic-${h}`, hostOverheadW: 0, devices: fleet.slice(h * per, (h + 1) * per).map((u) => {
      const m = state.get(u.id)!;
      const row = m.profiles.find((p) => p.name === m.profile)!;
      const tag = applied.get(u.id);
      return {
        id: u.id, reachable: true, powerW: m.profile === 'sleep' ? 25 : Math.round(row.powerW * m.bias), hashrateThs: row.hashrateThs,
        profile: m.profile === 'sleep' ? 'default' : m.profile, sleeping: m.profile === 'sleep', ramping: false, ...(tag ? { appliedCommandId: tag } : {}),
      };
    }) });
  }
  for (let h = 0; h < GPU_HOSTS; h++) {
    out.push({ hostId: `gpu-${h}`, hostOverheadW: 400, devices: Array.from({ length: GPUS }, (_, i) => ({ id: `g${h}-${i}`, reachable: true, powerW: 64, powerLimitW: h100.minLimitW, jobId: null })) });
  }
  return out;
};

// Settle: steps with telemetry until a step sends nothing (every device on target).
let now = 1000;
progress(`${MINERS} miners on ${ASIC_HOSTS} hosts, ${GPU_HOSTS * GPUS} GPUs: settling…`);
for (let i = 0; i < 200; i++) {
  for (const b of batches()) c.telemetry(b, now);
  const out = c.step(now);
  for (const cmd of out.commands) {
    for (const [id, want] of Object.entries(cmd.devices)) {
      if (want.kind === 'asic') state.get(id)!.profile = want.profile;
      applied.set(id, cmd.commandId);
    }
    c.result({ hostId: cmd.hostId, commandId: cmd.commandId, stale: false, devices: Object.fromEntries(Object.keys(cmd.devices).map((id) => [id, { ok: true, confirmed: true }])) }, now);
  }
  now += 1000;
  if (out.commands.length === 0 && i > 5) break;
}

// Steady state: 5 steps a second, each host's telemetry once a second (10 batches a step).
const all = batches();
const step: number[] = [];
const parts = { snapshot: [] as number[], plan: [] as number[], commit: [] as number[] };
const floor: number[] = [];
const resolve: number[] = [];
let commands = 0;
const memo = new PlannerMemo();
for (let i = 0; i < STEPS; i++) {
  now += 200;
  for (let k = 0; k < all.length; k++) if (k % 5 === i % 5) c.telemetry(all[k]!, now);
  let t = performance.now();
  const out = c.step(now);
  step.push(performance.now() - t);
  commands += out.commands.length;
  // The same step in its parts (on the same state; the plan is re-derived, committing nothing new).
  t = performance.now();
  observePrice(c.state, c.policy, now);
  const snap = deriveSnapshot(c.state, c.policy, now);
  const t1 = performance.now();
  const p = plan(snap, c.state, c.policy, memo);
  const t2 = performance.now();
  commitPlan(c.state, p, now);
  const t3 = performance.now();
  parts.snapshot.push(t1 - t);
  parts.plan.push(t2 - t1);
  parts.commit.push(t3 - t2);
  // Floor 1: one pass over every device, summing its reading.
  t = performance.now();
  let sum = 0;
  for (const d of c.state.deviceList) sum += d.reading?.powerW ?? 0;
  floor.push(performance.now() - t);
  if (sum < 0) throw new Error('unreachable');
}
// Floor 2: the planner re-solving for a new budget, on the same built planner (no rebuild).
const snap = deriveSnapshot(c.state, c.policy, now);
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  plan({ ...snap, budget: { ...snap.budget, itBudgetW: snap.budget.itBudgetW - 1000 - i } }, c.state, c.policy, memo);
  resolve.push(performance.now() - t);
}

const r = (x: number) => Math.round(x * 1000) / 1000;
const result = {
  benchmark: 'step', machine: machine(), miners: MINERS, gpus: GPU_HOSTS * GPUS, steps: STEPS, commandsInSteadyState: commands,
  stepMedianMs: r(median(step)), stepP99Ms: r(percentile(step, 99)),
  snapshotMedianMs: r(median(parts.snapshot)), planMedianMs: r(median(parts.plan)), commitMedianMs: r(median(parts.commit)),
  onePassMedianMs: r(median(floor)), planNewBudgetMedianMs: r(median(resolve)),
};
if (wantsJson) process.stdout.write(JSON.stringify(result) + '\n');
else {
  process.stdout.write([
    `control step benchmark — ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, ${result.machine.date}`,
    `${MINERS} catalog miners on ${ASIC_HOSTS} hosts, ${result.gpus} GPUs; steady state (${commands} commands in ${STEPS} steps), telemetry folded between steps`,
    '',
    '| | median | p99 |',
    '|---|---:|---:|',
    `| control step (observe, snapshot, plan, commit) | ${result.stepMedianMs} ms | ${result.stepP99Ms} ms |`,
    `| … snapshot | ${result.snapshotMedianMs} ms | |`,
    `| … plan (admission, planner re-use, sequencing, reconciliation, explanation) | ${result.planMedianMs} ms | |`,
    `| … commit | ${result.commitMedianMs} ms | |`,
    `| floor: one pass summing every device's reading | ${result.onePassMedianMs} ms | |`,
    `| plan for a new budget (planner re-solve, nothing rebuilt) | ${result.planNewBudgetMedianMs} ms | |`,
    '',
  ].join('\n'));
}

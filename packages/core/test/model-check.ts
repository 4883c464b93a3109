import fc from 'fast-check';
import { resendBackoffMs } from '../src/index.js';
import { gridEvent, world, type WorldOptions } from './virtual-site.js';

/**
 * Model-based property test of the control core: a virtual site (miners that ramp, GPUs,
 * telemetry every second) driven by random sequences of jobs, grid events, price changes,
 * silent hosts, miners pushed off their profile behind the scheduler's back, miners whose
 * true draw drifts, and miners that ignore commands. After every step:
 *
 * 1. break before make: a command that raises anything leaves the true site power within the
 *    cap in force (so no job is admitted into head-room that is not there);
 * 2. the scheduler's worst-case accounting is never below the truth when it has just heard
 *    from every host;
 * 3. once a disturbance is `recoverMs` old, and the cap can be met at all, the true site
 *    power is within the cap;
 * 4. a miner pushed off its target is commanded again within `recommandMs`.
 */
const action = fc.oneof(
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 500, max: 8000 }) }),
  fc.record({ kind: fc.constant('job' as const), gpus: fc.integer({ min: 1, max: 4 }), seconds: fc.integer({ min: 3, max: 40 }), cls: fc.constantFrom('critical', 'standard', 'batch') }),
  fc.record({ kind: fc.constant('cancel' as const) }),
  fc.record({ kind: fc.constant('grid' as const), fraction: fc.double({ min: 0.3, max: 0.95, noNaN: true }), inS: fc.integer({ min: 0, max: 60 }), forS: fc.integer({ min: 5, max: 90 }) }),
  fc.record({ kind: fc.constant('price' as const), usdPerMWh: fc.integer({ min: 10, max: 400 }) }),
  fc.record({ kind: fc.constant('silent' as const), ms: fc.integer({ min: 1000, max: 8000 }) }),
  fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 6 }), up: fc.boolean() }),
  fc.record({ kind: fc.constant('drift' as const), share: fc.double({ min: 0.2, max: 1, noNaN: true }), factor: fc.double({ min: 1.05, max: 1.3, noNaN: true }) }),
  fc.record({ kind: fc.constant('deaf' as const), count: fc.integer({ min: 0, max: 2 }) }),
);

export const scenario = fc.record({
  miners: fc.integer({ min: 6, max: 16 }),
  gpus: fc.integer({ min: 0, max: 8 }),
  lagMs: fc.constantFrom(500, 1000, 2000),
  headroom: fc.double({ min: 0.6, max: 1.1, noNaN: true }),
  seed: fc.integer({ min: 1, max: 1000 }),
  actions: fc.array(action, { minLength: 3, maxLength: 12 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Run one scenario (optionally under another policy or priority list); returns the first broken invariant, or undefined. */
export function check(sc: Scenario, opts: Pick<WorldOptions, 'policy' | 'priorities' | 'gpuBursts'> = {}): string | undefined {
  const stockW = sc.miners * 3300;
  const w = world({ miners: sc.miners, gpus: sc.gpus, lagMs: sc.lagMs, capW: (stockW * sc.headroom + sc.gpus * 700) * 1.1 + 1000, seed: sc.seed, ...opts });
  const recoverMs = sc.lagMs + 3000;
  const recommandMs = 2500;
  const ids = [...w.miners.keys()];
  let now = 0;
  let disturbedAt = 0;
  let silentUntil = -1;
  let failure: string | undefined;
  let jobs = 0;
  let drifted = false;
  const marginW = w.c.state.contract.marginW;
  const spends = w.c.policy.gpuDraw.mode !== 'off';
  /** Miners pushed off target: when, and by when they must be commanded again (the back-off grows while one keeps disobeying). */
  const pushes: Array<{ id: string; at: number; profile: string; withinMs: number }> = [];
  w.c.setHashprice(0.05);

  const onTick = (t: number) => {
    if (failure) return;
    for (const cmd of w.commandsSent.splice(0)) {
      // (A disturbance the scheduler has not heard of yet — the next telemetry tells — is not its to know.)
      // (Once true draws have drifted, a miner that drifted while ramping or asleep shows it only
      // when it next settles: no estimate can know it before. The safety margin is for that.)
      const unseen = t - disturbedAt < 1250;
      const limitW = cmd.capW + (drifted ? marginW : 0) + 1;
      if (!unseen && cmd.truthAfter > cmd.truthBefore + 1 && cmd.truthAfter > limitW) {
        failure = `t=${t}: a command to ${cmd.hostId} raised the site to ${cmd.truthAfter.toFixed(0)} W over the cap ${cmd.capW.toFixed(0)} W`;
        return;
      }
      for (const p of pushes) if (cmd.at > p.at && p.id in cmd.devices) p.at = Number.POSITIVE_INFINITY; // re-commanded
    }
    for (const p of pushes) {
      if (Number.isFinite(p.at) && t - p.at > p.withinMs && t > silentUntil + recommandMs && !w.miners.get(p.id)!.deaf) {
        failure = `t=${t}: ${p.id}, pushed to ${p.profile} at ${p.at}, not commanded again within ${p.withinMs} ms`;
        return;
      }
    }
  };
  const onSample = (t: number) => {
    if (failure) return;
    const s = w.c.sample(t);
    const truth = w.truth();
    if (!w.isAsicSilent() && s.worstCaseSiteW < truth - 1) {
      failure = `t=${t}: worst case ${s.worstCaseSiteW.toFixed(0)} W below the truth ${truth.toFixed(0)} W`;
      return;
    }
    const settled = t - disturbedAt >= recoverMs && t - silentUntil >= recoverMs;
    // (With the GPU draw credit on, the site may use the margin: the cap here is the hard one.)
    const capW = w.hardCapW();
    // (With drifted draws, a miner that drifted unseen shows it when it next wakes: within the margin.)
    if (settled && w.minimalTruth() <= 0.9 * s.effectiveCapW && truth > capW + (drifted ? marginW : 0) + 1) {
      failure = `t=${t}: ${truth.toFixed(0)} W over the cap ${capW.toFixed(0)} W, ${t - disturbedAt} ms after the last disturbance`;
      return;
    }
    // With the credit on: every GPU bursting to its limit at once, before any miner sheds, still
    // fits the hard cap (the margin the credit spends is the only slack; drift needs it too).
    if (spends && settled && !drifted && w.minimalTruth() <= 0.9 * s.effectiveCapW && w.burstTruth() > capW + 1) {
      failure = `t=${t}: every GPU at its limit would draw ${w.burstTruth().toFixed(0)} W, over the hard cap ${capW.toFixed(0)} W`;
    }
  };
  const advance = (ms: number) => {
    // The world steps every 250 ms and hears telemetry on whole seconds: keep to its grid.
    const to = now + Math.max(250, Math.round(ms / 250) * 250);
    if (silentUntil > now && silentUntil <= to) {
      w.run(now + 250, silentUntil, onSample, onTick);
      w.setAsicSilent(false);
      disturbedAt = Math.max(disturbedAt, silentUntil);
      now = silentUntil;
    }
    w.run(now + 250, to, onSample, onTick);
    now = to;
  };

  advance(20_000); // fill the site
  for (const a of sc.actions) {
    if (failure) break;
    switch (a.kind) {
      case 'wait':
        break;
      case 'job':
        w.submit(`j${jobs++}`, Math.min(a.gpus, Math.max(1, sc.gpus)), a.seconds * 1000, now, a.cls);
        break;
      case 'cancel':
        if (jobs > 0) w.cancel(`j${jobs - 1}`, now);
        break;
      case 'grid': {
        const capW = w.c.sample(now).contractCapW * a.fraction;
        w.c.setGridEvents([...w.c.state.gridEvents, gridEvent({ id: `g${now}`, capW, startsAt: now + a.inS * 1000, endsAt: now + (a.inS + a.forS) * 1000 })]);
        // Known ahead by less than the time to shed: a disturbance at its start.
        if (a.inS * 1000 < 30_000 + sc.lagMs) disturbedAt = Math.max(disturbedAt, now + a.inS * 1000);
        break;
      }
      case 'price':
        w.c.setEnergyPrice({ kind: 'constant', pricePerMWh: a.usdPerMWh, setAt: now });
        break;
      case 'silent':
        w.setAsicSilent(true);
        silentUntil = now + Math.round(a.ms / 1000) * 1000;
        break;
      case 'push':
        for (const id of ids.slice(0, a.count)) {
          const m = w.miners.get(id)!;
          const rows = m.profiles.filter((p) => p.name !== 'sleep');
          const profile = (a.up ? rows.reduce((x, y) => (y.powerW > x.powerW ? y : x)) : rows.reduce((x, y) => (y.powerW < x.powerW ? y : x))).name;
          const want = w.c.state.devices.get(id)!.desired;
          if (want?.kind !== 'asic' || want.profile === profile || m.profile === 'sleep') continue;
          w.move(id, profile, now);
          pushes.push({ id, at: now, profile, withinMs: recommandMs + resendBackoffMs(w.c.state.devices.get(id)!.resends + 1, w.c.policy) });
        }
        disturbedAt = Math.max(disturbedAt, now);
        break;
      case 'drift':
        drifted = true;
        // Miners that are awake (a sleeping miner's drift shows only when it wakes, which no
        // estimate can know ahead: that is what the safety margin is for).
        for (const id of ids.slice(0, Math.max(1, Math.round(a.share * ids.length)))) {
          const m = w.miners.get(id)!;
          if (m.profile !== 'sleep' && m.pending?.profile !== 'sleep') w.drift(id, a.factor);
        }
        disturbedAt = Math.max(disturbedAt, now);
        break;
      case 'deaf': {
        const healed = ids.some((id, i) => w.miners.get(id)!.deaf && i < ids.length - a.count);
        ids.forEach((id, i) => { w.miners.get(id)!.deaf = i >= ids.length - a.count; });
        // A miner that listens again is commanded again only when its back-off (up to the
        // longest) runs out: until then it is a disturbance.
        disturbedAt = Math.max(disturbedAt, healed ? now + w.c.policy.reconcile.backoffMaxMs : now);
        break;
      }
    }
    advance(a.kind === 'wait' ? a.ms : 2000);
  }
  if (!failure) advance(recoverMs + 5000);
  return failure;
}


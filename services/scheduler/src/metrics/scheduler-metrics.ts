import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Scheduler } from '../app.js';

/**
 * The scheduler's Prometheus series (docs/metrics.md lists them). Levels (power, caps, fleet
 * counts) are read from the read models at scrape time, so a scrape always shows the latest
 * step; distributions and counts (step duration, admission wait, command round trip, grid
 * seconds above cap) are fed by the scheduler's typed events as they happen. One registry
 * per scheduler, so that several in one process (tests) never share series.
 */
export function schedulerMetrics(s: Scheduler): { readonly registry: Registry; scrape(): Promise<string> } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wattbroker_scheduler_' });
  const r = [registry];
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: r });

  const site = gauge('wattbroker_site_power_watts', 'Site power at the point of connection (the meter when there is one, else the model)');
  const metered = gauge('wattbroker_site_metered_power_watts', 'Site power as the site meter reads it (NaN without a meter or while its reading is stale)');
  const modelled = gauge('wattbroker_site_modelled_power_watts', 'Site power as modelled: measured IT + cooling and host overheads');
  const worst = gauge('wattbroker_site_worst_case_watts', 'Site power if every device in transition drew its worst case');
  const contractCap = gauge('wattbroker_contract_cap_watts', 'Contract cap');
  const margin = gauge('wattbroker_margin_watts', 'Safety margin kept below every cap');
  const effective = gauge('wattbroker_effective_cap_watts', 'Cap in force now: the lowest of the contract and active grid events, less the margin');
  const part = gauge('wattbroker_power_watts', 'Site power by part: asic, gpu, overhead (cooling and host chassis)', ['part']);
  const classW = gauge('wattbroker_class_power_watts', 'Power the latest plan gives each priority class', ['class', 'kind']);
  const zoneW = gauge('wattbroker_zone_power_watts', 'Power the latest plan gives each ASIC zone (an ASIC priority class)', ['zone']);
  const hashrate = gauge('wattbroker_hashrate_ths', 'Site hashrate, TH/s');
  const planned = gauge('wattbroker_planned_hashrate_ths', 'Hashrate the latest plan aims at, TH/s');
  const miners = gauge('wattbroker_miners', 'Miners by status and profile (profile "sleep" when asleep, "none" before a reading)', ['state', 'profile']);
  const gpus = gauge('wattbroker_gpus', 'GPUs by status and whether they run a job', ['state', 'busy']);
  const jobs = gauge('wattbroker_jobs', 'GPU jobs by state (the queue: queued, admitting, running)', ['state']);
  const disobedient = gauge('wattbroker_disobedient_devices', 'Devices still off target after repeated commands');
  const offTarget = gauge('wattbroker_off_target_devices', 'Devices whose reading is off their target (being re-commanded, or disobedient)');
  const silent = gauge('wattbroker_silent_hosts', 'Hosts without telemetry for the silent period (their devices are budgeted at their maximum)');
  const hostSilent = gauge('wattbroker_host_silent', 'Per host: 1 when silent', ['host', 'kind']);
  const gridActive = gauge('wattbroker_grid_events_active', 'Grid events in force now');
  const gridCap = gauge('wattbroker_grid_event_cap_watts', 'Cap each grid event in force asks for', ['event']);
  const gridCompliant = gauge('wattbroker_grid_event_compliant', 'At the last sample: 1 when the site is at or under every grid event in force (also 1 when none is)');
  const leader = gauge('wattbroker_leader', '1 while this scheduler leads the site, 0 while it stands by');
  const epoch = gauge('wattbroker_leader_epoch', 'Leader epoch this scheduler knows (fences commands of older leaders)');

  const steps = new Counter({ name: 'wattbroker_steps_total', help: 'Control steps run', registers: r });
  const stepSeconds = new Histogram({ name: 'wattbroker_step_duration_seconds', help: 'Control step duration', buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], registers: r });
  const commands = new Counter({ name: 'wattbroker_commands_sent_total', help: 'Commands sent to agents', registers: r });
  const roundTrip = new Histogram({ name: 'wattbroker_command_round_trip_seconds', help: 'From the step that issued a command to the agent\'s result arriving', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r });
  const admissionWait = new Histogram({ name: 'wattbroker_job_admission_wait_seconds', help: 'GPU job submission to running', buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers: r });
  const transitions = new Counter({ name: 'wattbroker_job_transitions_total', help: 'GPU job state changes', labelNames: ['to'], registers: r });
  const aboveS = new Counter({ name: 'wattbroker_grid_event_seconds_above_total', help: 'Samples (1 s each) with the site above a grid event in force', registers: r });
  const deviceEvents = new Counter({ name: 'wattbroker_device_events_total', help: 'Devices going off target, disobedient, or back on target', labelNames: ['to'], registers: r });
  const failures = new Counter({ name: 'wattbroker_failures_total', help: 'Failures survived (a loop or a write that failed and went on)', labelNames: ['where'], registers: r });

  // Issue times of commands in flight, for the round trip (bounded: results that never come are forgotten).
  const issued = new Map<string, number>();
  s.on('step', (x) => {
    steps.inc();
    stepSeconds.observe(x.durationMs / 1000);
  });
  s.on('commands:sent', (sent) => {
    commands.inc(sent.length);
    for (const c of sent) issued.set(c.commandId, c.issuedAt);
    while (issued.size > 10_000) issued.delete(issued.keys().next().value!);
  });
  s.on('command:result', (m) => {
    const at = issued.get(m.commandId);
    if (at === undefined) return;
    issued.delete(m.commandId);
    roundTrip.observe(Math.max(0, Date.now() - at) / 1000);
  });
  s.on('job:transition', (t) => {
    transitions.inc({ to: t.to });
    const queued = t.job.timestamps.queued;
    if (t.to === 'running' && queued !== undefined) admissionWait.observe(Math.max(0, t.at - queued) / 1000);
  });
  s.on('device', (e) => deviceEvents.inc({ to: e.to }));
  s.on('failure', (f) => failures.inc({ where: f.where }));
  s.on('sample', (x) => {
    const active = s.controller.state.gridEvents.filter((e) => e.startsAt <= x.at && x.at < e.endsAt);
    const compliant = active.every((e) => x.siteW <= e.capW);
    gridCompliant.set(compliant ? 1 : 0);
    if (!compliant) aboveS.inc();
  });
  gridCompliant.set(1);

  // Levels: read at scrape time, all from one moment.
  const levels = () => {
    const now = Date.now();
    const x = s.read.sample();
    site.set(x.siteW);
    // NaN, not 0, when there is no reading: a graph shows a gap and no comparison holds.
    metered.set(x.meteredSiteW ?? Number.NaN);
    modelled.set(x.modelledSiteW ?? x.siteW);
    worst.set(x.worstCaseSiteW);
    contractCap.set(x.contractCapW);
    margin.set(x.marginW);
    effective.set(x.effectiveCapW);
    part.set({ part: 'asic' }, x.asicW);
    part.set({ part: 'gpu' }, x.gpuW);
    part.set({ part: 'overhead' }, x.overheadW);
    hashrate.set(x.hashrateThs);
    offTarget.set(x.offTarget);
    silent.set(x.silentHosts.length);
    for (const [state, n] of Object.entries(x.jobs)) jobs.set({ state }, n);

    const plan = s.read.plan();
    classW.reset();
    zoneW.reset();
    if (plan) {
      planned.set(plan.plannedHashrateThs);
      for (const c of plan.classes) {
        classW.set({ class: c.name, kind: c.kind }, c.kw * 1000);
        if (c.kind === 'asic') zoneW.set({ zone: c.name }, c.kw * 1000);
      }
    }

    miners.reset();
    gpus.reset();
    let dis = 0;
    const minerCounts = new Map<string, { state: string; profile: string; n: number }>();
    const gpuCounts = new Map<string, { state: string; busy: string; n: number }>();
    for (const d of s.read.devices()) {
      if (d.status === 'disobedient') dis++;
      if (d.kind === 'asic') {
        const profile = !d.reading ? 'none' : d.reading.sleeping ? 'sleep' : d.reading.profile ?? 'none';
        const k = `${d.status}\0${profile}`;
        const c = minerCounts.get(k) ?? { state: d.status, profile, n: 0 };
        c.n++;
        minerCounts.set(k, c);
      } else {
        const busy = d.reading?.jobId ? 'true' : 'false';
        const k = `${d.status}\0${busy}`;
        const c = gpuCounts.get(k) ?? { state: d.status, busy, n: 0 };
        c.n++;
        gpuCounts.set(k, c);
      }
    }
    for (const c of minerCounts.values()) miners.set({ state: c.state, profile: c.profile }, c.n);
    for (const c of gpuCounts.values()) gpus.set({ state: c.state, busy: c.busy }, c.n);
    disobedient.set(dis);

    hostSilent.reset();
    for (const h of s.read.hosts()) hostSilent.set({ host: h.hostId, kind: h.kind }, h.silent ? 1 : 0);

    gridCap.reset();
    const active = s.controller.state.gridEvents.filter((e) => e.startsAt <= now && now < e.endsAt);
    gridActive.set(active.length);
    for (const e of active) gridCap.set({ event: e.id }, e.capW);

    leader.set(s.isLeader ? 1 : 0);
    epoch.set(s.epoch);
  };
  return {
    registry,
    async scrape() {
      levels();
      return registry.metrics();
    },
  };
}

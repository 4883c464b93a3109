import express, { type Express, type Request } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import {
  ContractBodySchema, DevicePatchSchema, EnergyPriceBodySchema, GridEventBodySchema, GridScheduleBodySchema, HashpriceBodySchema, JobBodySchema,
  PrioritiesBodySchema, parseInput,
} from '@wattbroker/contracts';
import { complianceCsv, type BaselineMethod, type GridCap, type Job } from '@wattbroker/core';
import { requireRole, type Role } from './auth.js';
import { HttpProblem, problemHandler } from './problem.js';
import type { Scheduler } from './scheduler.js';

const kw = (w: number) => Math.round(w / 10) / 100;

function jobView(j: Job) {
  const ts = (k: keyof Job['timestamps']) => (j.timestamps[k] !== undefined ? new Date(j.timestamps[k]!).toISOString() : undefined);
  const waitedMs = j.timestamps.running !== undefined && j.timestamps.queued !== undefined ? j.timestamps.running - j.timestamps.queued : undefined;
  return {
    id: j.id, state: j.state, class: j.class, gpus: j.gpus,
    ...(j.powerLimitW !== undefined ? { powerLimitW: j.powerLimitW } : {}),
    ...(j.durationS !== undefined ? { durationS: j.durationS } : {}),
    ...(j.hostId ? { hostId: j.hostId, gpuIds: j.gpuIds, limitW: j.limitW } : {}),
    ...(j.error ? { error: j.error } : {}),
    timestamps: Object.fromEntries(Object.keys(j.timestamps).map((k) => [k, ts(k as keyof Job['timestamps'])])),
    ...(waitedMs !== undefined ? { admissionWaitMs: waitedMs } : {}),
  };
}

/** The REST API (README documents it). Every error is RFC 9457 problem+json. */
export function createApi(s: Scheduler, tokens: Map<string, Role>, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({ logger, redact: ['req.headers.authorization'], autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' } }));
  // Priority lists may name a hosting client's thousands of miners; every other body is small.
  app.use('/v1/priorities', express.json({ limit: '4mb' }));
  app.use(express.json({ limit: '64kb' }));
  const view = requireRole(tokens, 'viewer');
  const tenant = requireRole(tokens, 'tenant');
  const operator = requireRole(tokens, 'operator');

  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/readyz', async (_req, res) => {
    const redis = await s.ping().catch(() => false);
    const ready = redis && s.isLeader;
    res.status(ready ? 200 : 503).json({ ready, redis, leader: s.isLeader, epoch: s.epoch });
  });

  app.get('/v1/site', view, (_req, res) => {
    const x = s.controller.sample(Date.now());
    res.json({
      contract: { capKw: kw(x.contractCapW), marginKw: kw(x.marginW) },
      effectiveCapKw: kw(x.effectiveCapW),
      power: { siteKw: kw(x.siteW), asicKw: kw(x.asicW), gpuKw: kw(x.gpuW), overheadKw: kw(x.overheadW) },
      hashrateThs: Math.round(x.hashrateThs * 10) / 10,
      worstCaseSiteKw: kw(x.worstCaseSiteW),
      silentHosts: x.silentHosts,
      jobs: x.jobs,
    });
  });

  app.put('/v1/site/contract', operator, async (req, res) => {
    const body = parseInput(ContractBodySchema, req.body, 'body');
    const marginW = (body.marginKw ?? s.controller.config.marginW / 1000) * 1000;
    if (marginW >= body.capKw * 1000) throw new HttpProblem(400, 'Invalid request', 'marginKw: must be below capKw', { errors: [{ field: 'marginKw', message: 'must be below capKw' }] });
    await s.setContract(body.capKw * 1000, marginW);
    res.json({ capKw: body.capKw, marginKw: marginW / 1000 });
  });

  app.get('/v1/hosts', view, (_req, res) => void res.json(s.controller.hostStates(Date.now())));
  app.get('/v1/devices', view, (_req, res) => void res.json(s.controller.deviceStates(Date.now())));
  app.get('/v1/devices/:id', view, (req, res) => {
    const d = s.controller.deviceStates(Date.now()).find((x) => x.id === req.params.id);
    if (!d) throw new HttpProblem(404, 'Not found', `id: no device "${req.params.id}"`);
    res.json(d);
  });

  const bad = (field: string, message: string) => new HttpProblem(400, 'Invalid request', `${field}: ${message}`, { errors: [{ field, message }] });

  app.get('/v1/priorities', view, (_req, res) => void res.json(s.controller.config.priorities));
  app.put('/v1/priorities', operator, async (req, res) => {
    const list = parseInput(PrioritiesBodySchema, req.body, 'body');
    const minKw = list.reduce((sum, c) => sum + (c.minKw ?? 0), 0);
    const capKw = (s.controller.config.contractCapW - s.controller.config.marginW) / 1000;
    if (minKw > capKw) throw new HttpProblem(400, 'Priorities cannot be satisfied', `minKw: the class minimums add up to ${minKw} kW, above the ${capKw} kW the contract allows`, { errors: [{ field: 'minKw', message: 'minimums above the contract' }] });
    // A floor its own miners cannot reach even flat out (when they have all registered).
    list.forEach((c, i) => {
      if (!c.miners || !c.minKw) return;
      const invs = c.miners.map((m) => s.controller.inventory(m));
      if (invs.some((v) => v === undefined)) return;
      const maxKw = invs.reduce((sum, v) => sum + (v!.kind === 'asic' ? Math.max(...v!.profiles.map((p) => p.powerW)) : 0), 0) / 1000;
      if (c.minKw > maxKw) {
        const field = `[${i}].minKw`;
        throw new HttpProblem(400, 'Priorities cannot be satisfied', `${field}: a floor of ${c.minKw} kW, but the ${c.miners.length} miners of ${c.name} draw at most ${maxKw.toFixed(1)} kW`, { errors: [{ field, message: 'floor above what the class\'s miners can draw' }] });
      }
    });
    await s.setPriorities(list);
    res.json(list);
  });

  app.patch('/v1/devices/:id', operator, async (req, res) => {
    const id = req.params.id as string;
    const inv = s.controller.inventory(id);
    if (!inv) throw new HttpProblem(404, 'Not found', `id: no device "${id}"`);
    const body = parseInput(DevicePatchSchema, req.body, 'body');
    if (inv.kind !== 'asic') throw bad('id', 'overrides apply to miners only');
    if (body.pinnedProfile && !inv.profiles.some((p) => p.name === body.pinnedProfile)) {
      throw bad('pinnedProfile', `"${body.pinnedProfile}" is not one of ${id}'s profiles`);
    }
    const current = s.controller.override(id) ?? {};
    const next = {
      ...(body.pinnedProfile === undefined ? (current.pinnedProfile ? { pinnedProfile: current.pinnedProfile } : {}) : body.pinnedProfile ? { pinnedProfile: body.pinnedProfile } : {}),
      ...((body.maintenance ?? current.maintenance) ? { maintenance: true } : {}),
    };
    await s.setOverride(id, next);
    res.json({ ...s.controller.deviceStates(Date.now()).find((d) => d.id === id), override: next });
  });

  app.post('/v1/jobs', tenant, async (req, res) => {
    const body = parseInput(JobBodySchema, req.body, 'body');
    const gpuClasses = s.controller.config.priorities.filter((c) => c.kind === 'gpu').map((c) => c.name);
    if (!gpuClasses.includes(body.class)) throw bad('class', `not a gpu class of the priority list (${gpuClasses.join(', ')})`);
    const job = await s.submitJob(body);
    res.status(202).location(`/v1/jobs/${job.id}`).json({ id: job.id, state: job.state });
  });
  app.get('/v1/jobs', view, async (req, res) => {
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    const state = typeof req.query.state === 'string' ? req.query.state : undefined;
    const jobs = (await s.store.jobs(limit)).map((j) => s.controller.job(j.id) ?? j).filter((j) => !state || j.state === state);
    res.json(jobs.map(jobView));
  });
  app.get('/v1/jobs/:id', view, async (req, res) => {
    const job = s.controller.job(req.params.id as string) ?? (await s.store.job(req.params.id as string));
    if (!job) throw new HttpProblem(404, 'Not found', `id: no job "${req.params.id}"`);
    res.json(jobView(job));
  });
  app.delete('/v1/jobs/:id', tenant, async (req, res) => {
    const job = await s.cancelJob(req.params.id as string);
    if (!job) throw new HttpProblem(404, 'Not found', `id: no job "${req.params.id}"`);
    res.json(jobView(job));
  });

  app.post('/v1/grid/events', operator, async (req, res) => {
    const e = await s.addGridEvent(parseInput(GridEventBodySchema, req.body, 'body'));
    res.status(201).location(`/v1/grid/events/${e.id}`).json(gridView(e));
  });
  app.get('/v1/grid/events/:id/report', view, async (req, res) => {
    const methods: BaselineMethod[] = ['mean-60m', 'mean-15m', 'last-15m-interval'];
    const method = (req.query.baseline ?? 'mean-60m') as BaselineMethod;
    if (!methods.includes(method)) {
      throw new HttpProblem(400, 'Invalid request', `baseline: one of ${methods.join(', ')}`, { errors: [{ field: 'baseline', message: `one of ${methods.join(', ')}` }] });
    }
    const report = await s.gridReport(req.params.id as string, method);
    if (!report) throw new HttpProblem(404, 'Not found', `id: no grid event "${req.params.id}"`);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.type('text/csv').attachment(`${report.eventId}.csv`).send(complianceCsv(report));
    } else res.json(report);
  });
  app.get('/v1/grid/schedules', view, async (_req, res) => void res.json(await s.schedules.list()));
  app.post('/v1/grid/schedules', operator, async (req, res) => {
    const body = parseInput(GridScheduleBodySchema, req.body, 'body');
    try {
      await s.schedules.upsert(body);
    } catch (e) {
      if (e instanceof RangeError) {
        const field = e.message.split(':')[0]!;
        throw new HttpProblem(400, 'Invalid request', e.message, { errors: [{ field, message: e.message.slice(field.length + 2) }] });
      }
      throw e;
    }
    res.status(201).location(`/v1/grid/schedules/${body.name}`).json((await s.schedules.list()).find((x) => x.name === body.name));
  });
  app.delete('/v1/grid/schedules/:name', operator, async (req, res) => {
    if (!(await s.schedules.remove(req.params.name as string))) throw new HttpProblem(404, 'Not found', `name: no grid schedule "${req.params.name}"`);
    res.status(204).end();
  });
  app.get('/v1/grid/events', view, async (_req, res) => void res.json((await s.store.gridEvents()).map(gridView)));
  app.delete('/v1/grid/events/:id', operator, async (req, res) => {
    if (!(await s.deleteGridEvent(req.params.id as string))) throw new HttpProblem(404, 'Not found', `id: no grid event "${req.params.id}"`);
    res.status(204).end();
  });

  app.get('/v1/prices', view, (_req, res) => void res.json(s.controller.prices(Date.now())));
  app.put('/v1/prices/energy', operator, async (req, res) => {
    await s.setEnergyPrice(parseInput(EnergyPriceBodySchema, req.body, 'body'));
    res.json(s.controller.prices(Date.now()));
  });
  app.put('/v1/prices/hash', operator, async (req, res) => {
    await s.setHashprice(parseInput(HashpriceBodySchema, req.body, 'body').usdPerThDay);
    res.json(s.controller.prices(Date.now()));
  });

  app.get('/v1/plan', view, (_req, res) => {
    const plan = s.controller.explain();
    if (!plan) throw new HttpProblem(503, 'No plan yet', 'the scheduler has not planned yet (no leader, or no devices registered)');
    res.json(plan);
  });

  app.use((req: Request) => {
    throw new HttpProblem(404, 'Not found', `${req.method} ${req.path}: no such endpoint`);
  });
  app.use(problemHandler);
  return app;
}

function gridView(e: GridCap) {
  return {
    id: e.id, capKw: Math.round(e.capW) / 1000, startsAt: new Date(e.startsAt).toISOString(), endsAt: new Date(e.endsAt).toISOString(),
    ...(e.shedW !== undefined ? { shedKw: e.shedW / 1000, baselineKw: (e.baselineW ?? 0) / 1000 } : {}),
    ...(e.rampMs !== undefined ? { rampMinutes: e.rampMs / 60_000 } : {}),
    ...(e.program ? { program: e.program } : {}),
    mandatory: e.mandatory ?? true, source: e.source ?? 'rest',
  };
}

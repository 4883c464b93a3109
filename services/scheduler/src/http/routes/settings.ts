import { EnergyPriceBodySchema, HashpriceBodySchema, PrioritiesBodySchema, parseInput } from '@wattbroker/contracts';
import { stampOf } from '../audit-stamp.js';
import { noQuery } from '../params.js';
import { HttpProblem } from '../problem.js';
import { planFor } from '../visibility.js';
import type { RouteContext } from './context.js';

/** Priorities, prices, and the plan the latest step made with them. */
export function settingsRoutes({ r, s, view, operator }: RouteContext): void {
  r.get('/v1/priorities', view, (req, res) => {
    noQuery(req);
    res.json(s.settings.priorities());
  });
  r.put('/v1/priorities', operator, async (req, res) => {
    noQuery(req);
    const list = parseInput(PrioritiesBodySchema, req.body, 'body');
    await s.settings.setPriorities(list, stampOf(req, res));
    res.json(list);
  });
  r.get('/v1/prices', view, (req, res) => {
    noQuery(req);
    res.json(s.settings.prices());
  });
  r.put('/v1/prices/energy', operator, async (req, res) => {
    noQuery(req);
    await s.settings.setEnergyPrice(parseInput(EnergyPriceBodySchema, req.body, 'body'), stampOf(req, res));
    res.json(s.settings.prices());
  });
  r.put('/v1/prices/hash', operator, async (req, res) => {
    noQuery(req);
    await s.settings.setHashprice(parseInput(HashpriceBodySchema, req.body, 'body').usdPerThDay, stampOf(req, res));
    res.json(s.settings.prices());
  });
  r.get('/v1/plan', view, (req, res) => {
    noQuery(req);
    const plan = s.read.plan();
    if (!plan) throw new HttpProblem(503, 'No plan yet', 'the scheduler has not planned yet (no leader, or no devices registered)');
    res.json(planFor(res, plan, s.read.jobOwner));
  });
}

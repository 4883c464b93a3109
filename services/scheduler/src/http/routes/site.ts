import { ContractBodySchema, parseInput } from '@wattbroker/contracts';
import { stampOf } from '../audit-stamp.js';
import { noQuery } from '../params.js';
import { siteView } from '../views.js';
import type { RouteContext } from './context.js';

export function siteRoutes({ r, s, view, operator }: RouteContext): void {
  r.get('/v1/site', view, (req, res) => {
    noQuery(req);
    res.json(siteView(s.read.sample()));
  });
  r.put('/v1/site/contract', operator, async (req, res) => {
    noQuery(req);
    const c = await s.settings.setContract(parseInput(ContractBodySchema, req.body, 'body'), stampOf(req, res));
    res.json({ capKw: c.capW / 1000, marginKw: c.marginW / 1000 });
  });
  r.get('/v1/hosts', view, (req, res) => {
    noQuery(req);
    res.json(s.read.hosts());
  });
}

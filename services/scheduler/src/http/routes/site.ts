import { z } from 'zod';
import { ContractBodySchema, parseInput } from '@wattbroker/contracts';
import { stampOf } from '../audit-stamp.js';
import { PageQueryShape, pageOf, setNextCursor } from '../paging.js';
import { noQuery } from '../params.js';
import { siteView } from '../views.js';
import type { RouteContext } from './context.js';

export const HostListQuerySchema = z.strictObject({
  ...PageQueryShape,
  kind: z.enum(['asic', 'gpu']).optional(),
  silent: z.enum(['true', 'false']).transform((x) => x === 'true').optional(),
});

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
    const q = parseInput(HostListQuerySchema, req.query, 'query');
    const all = s.read.hosts().filter((h) => (!q.kind || h.kind === q.kind) && (q.silent === undefined || h.silent === q.silent));
    const { page, next } = pageOf(all, (h) => h.hostId, q);
    setNextCursor(res, req.originalUrl, next);
    res.json(page);
  });
}

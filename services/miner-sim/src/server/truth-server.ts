import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { NO_FAULTS, parseFault, type Faults } from '../miner/faults.js';
import type { SimSite } from '../sim-site.js';
import { handleGpuRequest } from './gpu-routes.js';
import { json, problem, readJsonObject } from './http-util.js';

/**
 * The site's ground truth, fault switchboard and emulated GPUs, over plain HTTP:
 * - `GET /truth` → true wall power and state of every miner and their sum, the GPU hosts,
 *   and the whole site's power with cooling (`?perMiner=false` for the sums only);
 * - `POST /faults` `{"miner": 3 | "m-0004" | 14031, "fault": "slowMs=2000"}` (or
 *   `"faults": ["noNul", "quirk"]`) sets faults; `DELETE /faults?miner=3` clears them.
 * - `/gpus…`: read and drive the emulated GPUs (gpu-routes.ts).
 * Errors are `application/problem+json` naming the field.
 */
export function startTruthServer(site: SimSite, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    handle(site, req, res).catch((e: unknown) => problem(res, 500, 'internal error', (e as Error).message));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve(server));
  });
}

async function handle(site: SimSite, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  if (req.method === 'GET' && url.pathname === '/truth') {
    return json(res, 200, site.truth(url.searchParams.get('perMiner') !== 'false'));
  }
  if (url.pathname === '/faults' && req.method === 'DELETE') {
    const ref = url.searchParams.get('miner');
    const targets = ref === null || ref === 'all' ? site.miners.map((_, i) => i) : [lookup(site, ref, res)];
    if (targets.includes(-1)) return;
    for (const i of targets) await site.setFaults(i, { ...NO_FAULTS });
    return json(res, 200, { cleared: targets.length });
  }
  if (url.pathname === '/gpus' || url.pathname.startsWith('/gpus/')) return handleGpuRequest(site, req, res, url);
  if (url.pathname === '/faults' && req.method === 'POST') {
    const body = await readJsonObject(req, res);
    if (!body) return;
    const specs = body.faults ?? (body.fault !== undefined ? [body.fault] : undefined);
    if (!Array.isArray(specs) || specs.length === 0 || !specs.every((s) => typeof s === 'string')) {
      return problem(res, 400, 'invalid field', 'fault: give "fault": "name[=value]" or "faults": [...]', 'fault');
    }
    const ref = body.miner;
    if (typeof ref !== 'string' && typeof ref !== 'number') return problem(res, 400, 'invalid field', 'miner: give an index, id or port', 'miner');
    const index = lookup(site, ref, res);
    if (index < 0) return;
    let patch: Partial<Faults> = {};
    try {
      for (const s of specs as string[]) patch = { ...patch, ...parseFault(s) };
    } catch (e) {
      return problem(res, 400, 'invalid field', `fault: ${(e as Error).message}`, 'fault');
    }
    await site.setFaults(index, patch);
    return json(res, 200, site.miners[index]!.truth());
  }
  return problem(res, 404, 'not found', `${req.method} ${url.pathname}: try GET /truth, POST /faults, DELETE /faults, GET /gpus`);
}

function lookup(site: SimSite, ref: string | number, res: ServerResponse): number {
  try {
    return site.find(ref);
  } catch (e) {
    problem(res, 404, 'no such miner', `miner: ${(e as Error).message}`, 'miner');
    return -1;
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatedGpu } from '../gpu/emulated-gpu.js';
import type { SimSite } from '../sim-site.js';
import { json, problem, readJsonObject } from './http-util.js';

/**
 * The emulated GPUs over HTTP, what `EmulatedGpuDriver` speaks (the same operations as
 * `nvidia-smi`, plus the job load that a real card gets from its workload):
 * - `GET /gpus` → every host; `GET /gpus/HOST` → `{hostId, model, hostOverheadW, gpusW, gpus: [{index,
 *   name, powerW, powerLimitW, enforcedLimitW, minLimitW, maxLimitW, utilizationPct, busy}]}`;
 * - `PUT /gpus/HOST/INDEX/power-limit` `{"watts": 450}` → the card;
 * - `PUT /gpus/HOST/INDEX/busy` `{"busy": true}` → the card (a running job loads it).
 */
export async function handleGpuRequest(site: SimSite, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); // ['gpus', host?, index?, action?]
  if (parts.length === 1) {
    if (req.method !== 'GET') return problem(res, 405, 'method not allowed', `${req.method} /gpus: only GET`);
    return json(res, 200, { hosts: site.gpuHosts.map((h) => h.truth()) });
  }
  const host = site.gpuHost(parts[1]!);
  if (!host) {
    const known = site.gpuHosts.map((h) => h.id).join(', ') || 'none (start miner-sim with --gpu-host)';
    return problem(res, 404, 'no such GPU host', `hostId: no GPU host "${parts[1]}" (known: ${known})`, 'hostId');
  }
  if (parts.length === 2) {
    if (req.method !== 'GET') return problem(res, 405, 'method not allowed', `${req.method} ${url.pathname}: only GET`);
    return json(res, 200, host.truth());
  }
  const index = Number(parts[2]);
  const gpu: EmulatedGpu | undefined = Number.isInteger(index) ? host.gpus[index] : undefined;
  if (!gpu) return problem(res, 404, 'no such GPU', `index: no GPU "${parts[2]}" on ${host.id} (0..${host.gpus.length - 1})`, 'index');
  const action = parts[3];
  if (parts.length !== 4 || (action !== 'power-limit' && action !== 'busy')) {
    return problem(res, 404, 'not found', `${url.pathname}: try PUT /gpus/${host.id}/${index}/power-limit or …/busy`);
  }
  if (req.method !== 'PUT') return problem(res, 405, 'method not allowed', `${req.method} ${url.pathname}: only PUT`);
  const body = await readJsonObject(req, res);
  if (!body) return;
  if (action === 'power-limit') {
    const watts = body.watts;
    if (typeof watts !== 'number' || !Number.isFinite(watts)) return problem(res, 400, 'invalid field', 'watts: expected a number of watts', 'watts');
    try {
      gpu.setPowerLimit(watts);
    } catch (e) {
      return problem(res, 400, 'invalid field', `watts: ${(e as Error).message}`, 'watts');
    }
    return json(res, 200, gpu.truth());
  }
  if (typeof body.busy !== 'boolean') return problem(res, 400, 'invalid field', 'busy: expected true or false', 'busy');
  gpu.setBusy(body.busy);
  return json(res, 200, gpu.truth());
}

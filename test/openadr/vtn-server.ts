import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { openAdrSpec } from '@wattbroker/scheduler';

/**
 * A test VTN that speaks OpenADR 3.1 and checks every request it receives and every
 * response it sends against the specification (`packages/contracts/spec/openadr3/openadr3-3.1.0.yaml`).
 * Anything that does not validate is recorded in `violations` (and the request refused).
 */
const spec = openAdrSpec();
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export function specValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...spec, $id: 'openadr3' });
  const cache = new Map<string, ValidateFunction>();
  return (schema: string, data: unknown, array = false): string | undefined => {
    const key = `${schema}${array}`;
    let v = cache.get(key);
    if (!v) {
      v = array
        ? ajv.compile({ type: 'array', items: { $ref: `openadr3#/components/schemas/${schema}` } })
        : ajv.compile({ $ref: `openadr3#/components/schemas/${schema}` });
      cache.set(key, v);
    }
    return v(data) ? undefined : ajv.errorsText(v.errors, { dataVar: schema });
  };
}

export interface TestVtn {
  url: string;
  violations: string[];
  validated: number;
  reports: Array<Record<string, unknown>>;
  events: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * @param opts.tokenURL what `/auth/server` names as the token endpoint (default: the VTN's own)
 * @param opts.redirectTokenTo answer the token request with a 307 to this URL (a hostile VTN)
 */
export async function startTestVtn(opts: { clientId: string; clientSecret: string; programName: string; tokenURL?: string; redirectTokenTo?: string }): Promise<TestVtn> {
  const validate = specValidator();
  const now = () => new Date().toISOString();
  const program = { id: 'prog-1', createdDateTime: now(), modificationDateTime: now(), objectType: 'PROGRAM', programName: opts.programName };
  const other = { id: 'prog-2', createdDateTime: now(), modificationDateTime: now(), objectType: 'PROGRAM', programName: 'SOMEONE-ELSES' };
  const token = 'vtn-token-' + Math.random().toString(36).slice(2);
  const vtn: TestVtn = { url: '', violations: [], validated: 0, reports: [], events: [], close: async () => undefined };
  const check = (what: string, schema: string, data: unknown, array = false) => {
    vtn.validated++;
    const err = validate(schema, data, array);
    if (err) vtn.violations.push(`${what}: ${err}`);
    return err;
  };
  const send = (res: ServerResponse, status: number, body: unknown, schema?: string, array = false) => {
    if (schema) check(`response ${schema}`, schema, body, array);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const problem = (res: ServerResponse, status: number, title: string) =>
    send(res, status, { type: 'about:blank', title, status, detail: title }, 'problem');
  const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
    let b = '';
    req.setEncoding('utf8').on('data', (c: string) => { b += c; }).on('end', () => resolve(b));
  });
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://vtn');
    if (req.method === 'GET' && url.pathname === '/auth/server') return send(res, 200, { tokenURL: opts.tokenURL ?? `${vtn.url}/auth/token` }, 'authServerInfo');
    if (req.method === 'POST' && url.pathname === '/auth/token' && opts.redirectTokenTo) return void res.writeHead(307, { location: opts.redirectTokenTo }).end();
    if (req.method === 'POST' && url.pathname === '/auth/token') {
      const form = Object.fromEntries(new URLSearchParams(await body(req)));
      if (check('request clientCredentialRequest', 'clientCredentialRequest', form)) return problem(res, 400, 'bad token request');
      if (form.client_id !== opts.clientId || form.client_secret !== opts.clientSecret) return problem(res, 401, 'bad credentials');
      return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 }, 'clientCredentialResponse');
    }
    if (req.headers.authorization !== `Bearer ${token}`) return problem(res, 401, 'unauthorized');
    if (req.method === 'GET' && url.pathname === '/programs') return send(res, 200, [program, other], 'program', true);
    if (req.method === 'GET' && url.pathname === '/events') {
      const id = url.searchParams.get('programID');
      return send(res, 200, vtn.events.filter((e) => e.programID === id), 'event', true);
    }
    if (req.method === 'POST' && url.pathname === '/reports') {
      const report = JSON.parse(await body(req)) as Record<string, unknown>;
      if (check('request reportRequest', 'reportRequest', report)) return problem(res, 400, 'invalid report');
      vtn.reports.push(report);
      return send(res, 201, { ...report, id: `rep-${vtn.reports.length}`, createdDateTime: now(), modificationDateTime: now(), objectType: 'REPORT', clientID: opts.clientId }, 'report');
    }
    return problem(res, 404, 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  vtn.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  vtn.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return vtn;
}

export function oadrEvent(id: string, programID: string, start: Date, seconds: number, capKw: number, pricePerKWh?: number) {
  const t = new Date().toISOString();
  return {
    id, createdDateTime: t, modificationDateTime: t, objectType: 'EVENT', programID, eventName: `cap ${capKw} kW`,
    payloadDescriptors: [
      { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KW' },
      ...(pricePerKWh !== undefined ? [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', units: 'KWH', currency: 'USD' }] : []),
    ],
    intervalPeriod: { start: start.toISOString(), duration: `PT${seconds}S` },
    intervals: [{ id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [capKw] }, ...(pricePerKWh !== undefined ? [{ type: 'PRICE', values: [pricePerKWh] }] : [])] }],
  };
}

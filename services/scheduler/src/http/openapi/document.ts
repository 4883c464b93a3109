import { z } from 'zod';
import { ProblemSchema } from '@wattbroker/contracts';
import { OPERATIONS, type Operation } from './operations.js';

type Json = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a zod schema, as requests send it or answers carry it. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** `/v1/jobs/:id` → `/v1/jobs/{id}` and its path parameters. */
export function openApiPath(expressPath: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = expressPath.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

const PROBLEMS: Record<number, string> = {
  400: 'Invalid request: `errors` names every bad field (`body.capKw`, `query.limit`)',
  401: 'No token, or an unknown one',
  403: 'The token\'s role may not do this',
  404: 'No such resource (the field is named)',
  413: 'Body too large',
  422: 'Well-formed, but the site cannot accept it as it stands',
  503: 'This scheduler is a standby (the leader is named), or has no plan yet',
};

function operation(op: Operation): Json {
  const { params } = openApiPath(op.path);
  const parameters: Json[] = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (op.query) {
    const q = schemaOf(op.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema as Json & { description?: string };
      parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) });
    }
  }
  const responses: Json = {};
  for (const [status, schema] of Object.entries(op.ok)) {
    const content: Json = {};
    if (schema) content['application/json'] = { schema: schemaOf(schema, 'output') };
    if (op.alsoServes) content[op.alsoServes] = { schema: { type: 'string' } };
    if (!schema && !op.alsoServes && status !== '204') content['application/json'] = { schema: {} };
    responses[status] = {
      description: status === '204' ? 'Done; no body' : 'OK',
      ...(Object.keys(content).length ? { content } : {}),
      ...(op.paged && status === '200' ? { headers: {
        'X-Next-Cursor': { description: 'Cursor of the next page (absent on the last page)', schema: { type: 'string' } },
        Link: { description: '`<url>; rel="next"` of the next page', schema: { type: 'string' } },
      } } : {}),
    };
  }
  const statuses = new Set<number>([...(op.role ? [400, 401, 403, 503] : []), ...(op.body || op.query ? [400] : []), ...(op.problems ?? [])]);
  for (const st of [...statuses].sort()) responses[String(st)] ??= problem(PROBLEMS[st] ?? 'Problem');
  responses.default = problem('Any other failure (500), as problem+json');
  return {
    operationId: `${op.method}${openApiPath(op.path).path.replace(/[{}]/g, '').split(/[/.-]/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`,
    summary: op.summary,
    tags: [op.tag],
    ...(op.role ? { security: [{ bearer: [op.role] }], 'x-role': op.role } : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(op.body, 'input') } } } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the scheduler's REST API, built from OPERATIONS and the zod schemas. */
export function openApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) {
    const { path } = openApiPath(op.path);
    (paths[path] ??= {})[op.method] = operation(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'wattbroker scheduler API',
      version,
      description: 'Power scheduling of a hybrid site (ASIC miners and GPU inference hosts behind one grid cap). '
        + 'Send `Authorization: Bearer <token>`; a token has one role: `viewer` reads, `tenant` also submits and cancels jobs, '
        + '`operator` may do everything. Errors are RFC 9457 problem+json. Lists page with `?limit=N&cursor=C` '
        + '(filters apply before the limit; the next page\'s cursor is in `X-Next-Cursor`).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token; its role (viewer, tenant, operator) is listed per operation' } },
      schemas: { Problem: schemaOf(ProblemSchema, 'output') },
    },
    paths,
  };
}

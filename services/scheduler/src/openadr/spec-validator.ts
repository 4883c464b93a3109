import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { OPENADR3_SPEC_PATH, type FieldIssue } from '@wattbroker/contracts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * The vendored specification as JSON Schema for Ajv: OpenAPI 3.0's boolean
 * `exclusiveMaximum: true` (next to `maximum`) becomes the JSON Schema number form.
 */
export function openAdrSpec(): Record<string, unknown> {
  const spec = parse(readFileSync(OPENADR3_SPEC_PATH, 'utf8')) as Record<string, unknown>;
  const fix = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(fix);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    for (const [flag, bound] of [['exclusiveMaximum', 'maximum'], ['exclusiveMinimum', 'minimum']] as const) {
      if (typeof o[flag] === 'boolean') {
        if (o[flag] && typeof o[bound] === 'number') {
          o[flag] = o[bound];
          delete o[bound];
        } else delete o[flag];
      }
    }
    Object.values(o).forEach(fix);
  };
  fix(spec);
  return spec;
}

/** Schemas of the specification's components the VEN reads (`components/schemas/<name>`). */
export type OadrSchema = 'program' | 'event' | 'authServerInfo' | 'clientCredentialResponse' | 'report';

/** `/0/intervals/1/payloads` → `[0].intervals[1].payloads` (the way the rest of wattbroker names fields). */
function field(root: string, e: ErrorObject): string {
  const parts = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') parts.push(String((e.params as { missingProperty: string }).missingProperty));
  if (e.keyword === 'additionalProperties') parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
  return parts.reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : `${out}.${p}`), root);
}

/**
 * Validates what a VTN sends against the OpenADR 3.1.0 schemas (vendored in
 * packages/contracts/spec/openadr3): nothing a VTN says is used before it validates, and a
 * refusal names the field, e.g. `events[2].intervals[0].payloads[0].values`.
 */
export class OadrSpecValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv({ strict: false, allErrors: false });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...openAdrSpec(), $id: 'openadr3' });
  }

  /** Field issues (empty when valid). `root` names the value in messages (`events`, `authServerInfo`). */
  check(schema: OadrSchema, data: unknown, root: string, array = false): FieldIssue[] {
    const key = `${schema}:${array}`;
    let v = this.cache.get(key);
    if (!v) {
      const ref = { $ref: `openadr3#/components/schemas/${schema}` };
      v = this.ajv.compile(array ? { type: 'array', items: ref } : ref);
      this.cache.set(key, v);
    }
    if (v(data)) return [];
    return (v.errors ?? []).slice(0, 5).map((e) => ({ field: field(root, e), message: e.message ?? 'invalid' }));
  }
}

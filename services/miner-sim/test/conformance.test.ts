import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, replyJson } from '@wattbroker/testkit';
import type { SimSite } from '../src/index.js';
import { request, startSim } from './helpers.js';

/**
 * For every reply recorded from a real LuxOS miner (S19k Pro), the emulator's reply to the
 * same command must have the same payload keys, field names, JSON types and STATUS.
 */
const dir = new URL('../../../test/fixtures/luxos/', import.meta.url);
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

type Shape = string | { [k: string]: Shape } | Shape[];
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Describe where two JSON values differ in structure (keys and types), or return []. */
function shapeDiff(expected: unknown, actual: unknown, path: string): string[] {
  const te = typeOf(expected);
  const ta = typeOf(actual);
  if (te !== ta) return [`${path}: expected ${te}, got ${ta}`];
  if (te === 'array') {
    const e = expected as unknown[];
    const a = actual as unknown[];
    if (e.length > 0 && a.length === 0) return [`${path}: expected a non-empty array`];
    const out: string[] = [];
    for (let i = 0; i < Math.min(e.length, a.length); i++) out.push(...shapeDiff(e[i], a[i], `${path}[${i}]`));
    return out;
  }
  if (te === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const out: string[] = [];
    for (const k of Object.keys(e)) if (!(k in a)) out.push(`${path}.${k}: missing`);
    for (const k of Object.keys(a)) if (!(k in e)) out.push(`${path}.${k}: not in the real reply`);
    for (const k of Object.keys(e)) if (k in a) out.push(...shapeDiff(e[k], a[k], `${path}.${k}`));
    return out;
  }
  return [];
}

describe('conformance with recorded LuxOS replies', () => {
  let site: SimSite;
  beforeAll(async () => {
    site = await startSim({ miners: 1, models: ['s19kpro'], seed: 5 });
  });
  afterAll(() => site.stop());

  it('has fixtures to compare with', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(12);
  });

  it.each(fixtures)('%s', async (file) => {
    const recorded = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Record<string, unknown>;
    const [command, board] = file.replace('.json', '').split('_') as [string, string | undefined];
    const ours = replyJson(await rawRequest(site.miners[0]!.port, request(command, board)));
    const payloadKeys = (r: Record<string, unknown>) => Object.keys(r).filter((k) => k !== 'STATUS' && k !== 'id').sort();
    expect(payloadKeys(ours)).toEqual(payloadKeys(recorded));
    const s = (r: Record<string, unknown>) => (r.STATUS as Array<Record<string, unknown>>)[0]!;
    expect(s(ours).STATUS).toBe(s(recorded).STATUS);
    expect(s(ours).Code).toBe(s(recorded).Code);
    expect(shapeDiff(recorded, ours, command)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { InputError, hashToken, parseTokenEntries, tokenEntry } from '../src/index.js';

const h = (t: string) => hashToken(t);

describe('API token entries (name:role:sha256hex)', () => {
  it('parses entries separated by commas or lines, with comments, and a JSON list', () => {
    const text = `# site operators\nalice:operator:${h('a'.repeat(40))}\nbob:viewer:${h('b'.repeat(40))}, carol:tenant:${h('c'.repeat(40))}`;
    expect(parseTokenEntries(text, 'env').map((t) => `${t.name}/${t.role}`)).toEqual(['alice/operator', 'bob/viewer', 'carol/tenant']);
    const json = JSON.stringify([{ name: 'dave', role: 'tenant', sha256: h('d'.repeat(40)) }]);
    expect(parseTokenEntries(json, 'file')[0]).toEqual({ name: 'dave', role: 'tenant', sha256: h('d'.repeat(40)) });
  });

  it('refuses a raw token, a bad role or hash, naming the entry and never echoing it', () => {
    const secret = 'super-secret-token-value-0123456789:extra';
    for (const spec of [`operator:${secret}`, `alice:operator:${secret}`, `alice:root:${h('x')}`, `ops:operator:${h('y')},${secret}`]) {
      let err: unknown;
      try {
        parseTokenEntries(spec, 'WATTBROKER_API_TOKENS');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/^WATTBROKER_API_TOKENS: entry \d/);
      expect(msg).not.toContain('super-secret');
      expect(msg).not.toContain('root');
    }
  });

  it('refuses duplicate names or tokens and the hash of the documentation\'s example tokens', () => {
    expect(() => parseTokenEntries(`a:operator:${h('1'.repeat(40))},a:viewer:${h('2'.repeat(40))}`, 's')).toThrow(/entry 2 name: used by an earlier entry/);
    expect(() => parseTokenEntries(`a:operator:${h('1'.repeat(40))},b:viewer:${h('1'.repeat(40))}`, 's')).toThrow(/entry 2 sha256: the same token/);
    expect(() => parseTokenEntries(tokenEntry('a', 'operator', 'CHANGE-ME-operator-token'), 's')).toThrow(/example token/);
    expect(() => parseTokenEntries(' , ', 's')).toThrow(/no tokens/);
  });
});

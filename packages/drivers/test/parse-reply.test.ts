import { describe, expect, it } from 'vitest';
import { LuxosError, parseReply, repairAdjacentObjects } from '../src/index.js';

const ok = (extra: string) => `{"STATUS":[{"STATUS":"S","When":1,"Code":70,"Msg":"x","Description":"d"}],${extra}"id":1}`;

describe('reply parsing', () => {
  it('repairs the cgminer }{ quirk outside strings only', () => {
    expect(repairAdjacentObjects('[{"a":1}{"b":"}{"}]')).toBe('[{"a":1},{"b":"}{"}]');
    const r = parseReply(ok('"STATS":[{"a":1}{"b":2}],'), 'stats', 'x');
    expect(r.STATS).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('strips the trailing NUL', () => {
    expect(parseReply(ok('') + '\0', 'version', 'x').id).toBe(1);
  });

  it('names truncated, garbled and empty replies as protocol errors', () => {
    for (const text of [ok('').slice(0, 30), '\u0007garbage', '', '{"id":1}']) {
      const e = (() => { try { parseReply(text, 'summary', 'h:1'); } catch (err) { return err; } })();
      expect(e).toBeInstanceOf(LuxosError);
      expect((e as LuxosError).kind).toBe('protocol');
      expect((e as LuxosError).message).toMatch(/^h:1: summary/);
    }
  });
});

import fc from 'fast-check';

/**
 * What the fuzz suite shares (docs/security.md): how many cases to run, the seed to replay,
 * and messages broken in one place.
 *
 * `FUZZ_RUNS` (WATTBROKER_FUZZ_RUNS, default 10,000) REST requests over the write endpoints;
 * the queue and reply fuzzers run a fraction of it. `WATTBROKER_FUZZ_RUNS=100000` runs ten
 * times as many of each.
 */
export const FUZZ_RUNS = (() => {
  const v = Number(process.env.WATTBROKER_FUZZ_RUNS ?? 10_000);
  if (!Number.isInteger(v) || v < 1) throw new Error(`WATTBROKER_FUZZ_RUNS: a positive integer, got "${process.env.WATTBROKER_FUZZ_RUNS}"`);
  return v;
})();

/** A fixed seed when WATTBROKER_FUZZ_SEED is set (fast-check prints the seed of a failure, to replay it). */
export const FUZZ_SEED = process.env.WATTBROKER_FUZZ_SEED ? Number(process.env.WATTBROKER_FUZZ_SEED) : undefined;

/** Anything a broken field may hold: JSON values, numbers and strings at their edges, and `odd` values of the message's own domain. */
export function junkValues(...odd: unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, -1, 2 ** 53, 1e308, '', [], {}, ...odd), fc.integer(), fc.string({ maxLength: 12 }));
}

/**
 * A valid message broken in one place: replaced outright by junk, one key set to junk, one
 * key dropped, or a key from `extraKeys` added; `more` adds variants of the caller's own.
 */
export function brokenMessage(
  template: Record<string, unknown>, junk: fc.Arbitrary<unknown>, extraKeys: readonly string[],
  more: ReadonlyArray<fc.WeightedArbitrary<unknown>> = [],
): fc.Arbitrary<unknown> {
  const keys = Object.keys(template);
  return fc.oneof(
    { weight: 1, arbitrary: junk },
    { weight: 5, arbitrary: fc.record({ k: fc.constantFrom(...keys), v: junk }).map(({ k, v }) => ({ ...template, [k]: v })) },
    { weight: 1, arbitrary: fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(template).filter(([x]) => x !== k))) },
    { weight: 1, arbitrary: fc.record({ k: fc.constantFrom(...extraKeys), v: junk }).map(({ k, v }) => ({ ...template, [k]: v })) },
    ...more,
  );
}

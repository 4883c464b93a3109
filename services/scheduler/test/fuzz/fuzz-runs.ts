/**
 * How many generated cases the fuzz suite runs: WATTBROKER_FUZZ_RUNS (default 10,000) REST
 * requests over the write endpoints; a tenth of that of each kind of queue message, a fifth
 * of LuxOS replies (docs/security.md). `WATTBROKER_FUZZ_RUNS=100000` runs ten times as many.
 */
export const FUZZ_RUNS = (() => {
  const v = Number(process.env.WATTBROKER_FUZZ_RUNS ?? 10_000);
  if (!Number.isInteger(v) || v < 1) throw new Error(`WATTBROKER_FUZZ_RUNS: a positive integer, got "${process.env.WATTBROKER_FUZZ_RUNS}"`);
  return v;
})();

/** A fixed seed when WATTBROKER_FUZZ_SEED is set (fast-check prints the seed of a failure, to replay it). */
export const FUZZ_SEED = process.env.WATTBROKER_FUZZ_SEED ? Number(process.env.WATTBROKER_FUZZ_SEED) : undefined;

/**
 * How many generated cases the fuzz suite runs: WATTBROKER_FUZZ_RUNS (default 10,000) REST
 * requests over the write endpoints, and a fifth of that each of queue messages and LuxOS
 * replies. CI runs the default (about 50 s on two cores); `WATTBROKER_FUZZ_RUNS=100000` runs more.
 */
export const FUZZ_RUNS = (() => {
  const v = Number(process.env.WATTBROKER_FUZZ_RUNS ?? 10_000);
  if (!Number.isInteger(v) || v < 1) throw new Error(`WATTBROKER_FUZZ_RUNS: a positive integer, got "${process.env.WATTBROKER_FUZZ_RUNS}"`);
  return v;
})();

/** A fixed seed when WATTBROKER_FUZZ_SEED is set (fast-check prints the seed of a failure, to replay it). */
export const FUZZ_SEED = process.env.WATTBROKER_FUZZ_SEED ? Number(process.env.WATTBROKER_FUZZ_SEED) : undefined;

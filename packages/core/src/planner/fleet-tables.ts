/**
 * The planner's view of a fleet: every miner's options flattened into typed arrays.
 * Miner `m` owns options `offsets[m] … offsets[m+1]-1`. Flat arrays keep a 100k-miner fleet
 * (2.6 M options) in a few tens of MB and let the solver run without allocating objects.
 */
export interface FleetTables {
  readonly minerCount: number;
  readonly offsets: Uint32Array;
  readonly powerW: Float64Array;
  readonly hashrateThs: Float64Array;
}

export interface OptionList {
  readonly profiles: ReadonlyArray<{ readonly powerW: number; readonly hashrateThs: number }>;
}

export function fleetTables(miners: readonly OptionList[]): FleetTables {
  const n = miners.length;
  const offsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + miners[i]!.profiles.length;
  const powerW = new Float64Array(offsets[n]!);
  const hashrateThs = new Float64Array(offsets[n]!);
  // Indexed loops, no iterators: 100k miners × 26 profiles is 2.6 M reads of two fields.
  for (let i = 0; i < n; i++) {
    const profiles = miners[i]!.profiles;
    const k = offsets[i]!;
    for (let j = 0; j < profiles.length; j++) {
      const p = profiles[j]!;
      powerW[k + j] = p.powerW;
      hashrateThs[k + j] = p.hashrateThs;
    }
  }
  return { minerCount: n, offsets, powerW, hashrateThs };
}

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
  let total = 0;
  for (const m of miners) total += m.profiles.length;
  const offsets = new Uint32Array(miners.length + 1);
  const powerW = new Float64Array(total);
  const hashrateThs = new Float64Array(total);
  let k = 0;
  for (let i = 0; i < miners.length; i++) {
    offsets[i] = k;
    for (const p of miners[i]!.profiles) {
      powerW[k] = p.powerW;
      hashrateThs[k] = p.hashrateThs;
      k++;
    }
  }
  offsets[miners.length] = k;
  return { minerCount: miners.length, offsets, powerW, hashrateThs };
}

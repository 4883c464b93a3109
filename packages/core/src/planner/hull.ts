/**
 * Upper convex hull of one miner's (power, hashrate) options, the only options an optimal
 * fractional allocation ever uses and the ones the greedy walks.
 *
 * Writes the option indices of the hull, by increasing power, into `out` and returns how
 * many. The first point is the lowest-power option (ties: the higher hashrate), which every
 * miner must take at least. Dominated options (more power, no more hashrate) and options
 * under a chord are dropped, so successive steps have strictly decreasing ΔTH/ΔW.
 *
 * `scratch` must hold `hi - lo` entries; it is reused across miners to avoid allocation.
 */
export function upperHull(
  powerW: Float64Array,
  hashrateThs: Float64Array,
  lo: number,
  hi: number,
  scratch: Int32Array,
  out: Int32Array,
): number {
  const n = hi - lo;
  if (n <= 0) return 0;
  // Insertion sort by (power asc, hashrate desc): tables are short and usually sorted already.
  for (let i = 0; i < n; i++) {
    const idx = lo + i;
    const p = powerW[idx]!;
    const h = hashrateThs[idx]!;
    let j = i - 1;
    while (j >= 0) {
      const o = scratch[j]!;
      const po = powerW[o]!;
      if (po < p || (po === p && hashrateThs[o]! >= h)) break;
      scratch[j + 1] = o;
      j--;
    }
    scratch[j + 1] = idx;
  }
  let count = 0;
  for (let i = 0; i < n; i++) {
    const idx = scratch[i]!;
    const p = powerW[idx]!;
    const h = hashrateThs[idx]!;
    if (count > 0) {
      const last = out[count - 1]!;
      // Dominated: no more hashrate for at least as much power (equal power is handled by sort).
      if (h <= hashrateThs[last]! || p === powerW[last]!) continue;
    }
    while (count >= 2) {
      const a = out[count - 2]!;
      const b = out[count - 1]!;
      const pa = powerW[a]!;
      const ha = hashrateThs[a]!;
      // b lies on or under the chord a→idx: (b−a)×(idx−a) ≥ 0 in (power, hashrate).
      const cross = (powerW[b]! - pa) * (h - ha) - (hashrateThs[b]! - ha) * (p - pa);
      if (cross < 0) break;
      count--;
    }
    out[count++] = idx;
  }
  return count;
}

/**
 * Indices of `keys` ordered by decreasing key, stable (equal keys keep index order).
 *
 * Keys are compared as float32: a positive float's IEEE bit pattern orders like an unsigned
 * integer, so three 11-bit LSD radix passes sort 2.6 M keys in ~20 ms where a comparator
 * sort takes ~1 s. float32 keeps 24 bits of mantissa: keys closer than 1 part in 1.7e7 may
 * tie, which costs the planner nothing measurable, and stability keeps each miner's own
 * steps in order when they do.
 */
export function argsortDescending(keys: Float64Array, count = keys.length): Uint32Array {
  const bits = new Uint32Array(count);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < count; i++) {
    f32[0] = keys[i]!;
    // Negative and NaN keys are not expected (ratios of positive steps); clamp to 0.
    const b = f32[0]! > 0 ? u32[0]! : 0;
    bits[i] = 0xffffffff - b; // descending → ascending on the complement
  }
  // Keys travel with their indices so every pass reads memory in order.
  let idxSrc = new Uint32Array(count);
  let idxDst = new Uint32Array(count);
  let keySrc = bits;
  let keyDst = new Uint32Array(count);
  for (let i = 0; i < count; i++) idxSrc[i] = i;
  const RADIX = 2048;
  const counts = new Uint32Array(RADIX);
  for (const shift of [0, 11, 22]) {
    counts.fill(0);
    for (let i = 0; i < count; i++) {
      const r = (keySrc[i]! >>> shift) & 0x7ff;
      counts[r] = counts[r]! + 1;
    }
    let sum = 0;
    for (let r = 0; r < RADIX; r++) {
      const c = counts[r]!;
      counts[r] = sum;
      sum += c;
    }
    for (let i = 0; i < count; i++) {
      const key = keySrc[i]!;
      const r = (key >>> shift) & 0x7ff;
      const at = counts[r]!;
      counts[r] = at + 1;
      keyDst[at] = key;
      idxDst[at] = idxSrc[i]!;
    }
    [idxSrc, idxDst] = [idxDst, idxSrc];
    [keySrc, keyDst] = [keyDst, keySrc];
  }
  return idxSrc;
}

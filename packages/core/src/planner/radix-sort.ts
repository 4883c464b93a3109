/**
 * Stable sort of indices 0 … n−1 by decreasing float64 key, in linear time.
 *
 * The planner sorts every hull step (up to ~2.5 M with per-miner tables) by ΔTH/ΔW. A
 * comparator sort costs a JS call per comparison (~30 M of them, 0.4–1.5 s for 1.4 M steps);
 * even the engine's native numeric sort of 1.4 M doubles takes ~120 ms here. This is a radix
 * sort (~40 ms for 1.4 M):
 *
 * 1. Each key's IEEE-754 bits are mapped to an unsigned 64-bit value whose ascending order is
 *    the keys' descending numeric order.
 * 2. The leading bits that every key shares (sign, most of the exponent: ratios span a decade
 *    or two) carry no order and are skipped.
 * 3. LSD radix sort on the next 60 bits: the lower 30 first, then the upper 30, each in two
 *    passes of 15 bits. A 30-bit key and the index are packed into one float64 (key in the
 *    high word, so the double is finite and never NaN, and copying it keeps its bits): one
 *    8-byte move per key per pass. A pass whose digit is equal for all keys is skipped.
 * 4. Keys spread over more than 2^60 ulps (mixed signs, huge exponent ranges) have bits left
 *    over: runs that the 60 bits did not order are sorted by comparing the floats.
 *
 * Every step is stable, so equal keys keep their index order: the tie-break the planner wants
 * (group, then level: the order in which steps are generated). −0 sorts as +0; NaN keys sort
 * last (the planner never makes one: hull steps have ΔW > 0 and ΔTH > 0).
 */
export function sortIndicesByKeyDescending(keys: Float64Array, scratch?: SortScratch): Uint32Array {
  const n = keys.length;
  const a = scratch ? scratch.a.subarray(0, n) : new Float64Array(n);
  const b = scratch ? scratch.b.subarray(0, n) : new Float64Array(n);
  const out = scratch ? scratch.out.subarray(0, n) : new Uint32Array(n);
  const shared = sharedLeadingBits(keys);
  const settle = shared + 2 * KEY_BITS < 64;
  // Settling runs reads the keys after the passes, which overwrite `b`.
  if (settle && keys.buffer === b.buffer) keys = keys.slice();
  // LSD: first by the 30 bits below the top 30 (when there are any), then, stably, by the
  // top 30, kept meanwhile in `out`.
  packKeys(keys, shared, a, out);
  let sorted = shared + KEY_BITS < 64 ? radixSortPacked(a, b) : a;
  repack(sorted, out);
  sorted = radixSortPacked(sorted, sorted === a ? b : a);
  const words = new Uint32Array(sorted.buffer, sorted.byteOffset, 2 * n);
  unpack(words, out);
  // Only keys spread over more than 2^60 ulps (mixed signs, huge exponent ranges) can still
  // be out of order, among keys equal in all 60 sorted bits.
  if (settle) settleRuns(keys, words, out);
  return out;
}

/**
 * Buffers of at least n entries the sort may use instead of allocating its own (the planner
 * lends the output arrays it fills afterwards). `keys` may share memory with `b` only; the
 * result is written to `out`.
 */
export interface SortScratch {
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly out: Uint32Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index of the high / low 32-bit word of a float64 in a Uint32Array view. */
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

const KEY_BITS = 30;
const DIGIT_BITS = 15;
const RADIX = 1 << DIGIT_BITS;
const MASK = RADIX - 1;

function isNaNBits(h: number, l: number): boolean {
  return (h & 0x7ff00000) === 0x7ff00000 && ((h & 0xfffff) | l) !== 0;
}

/**
 * Order-preserving bits, high word: ascending unsigned order of (high, low) is descending
 * numeric order. A positive float's bits grow with its value, so they are complemented (sign
 * bit kept clear, so positives come first); a negative float's bits grow as it falls, so they
 * stay. −0 maps as +0; NaN to the largest value.
 */
function mappedHigh(h: number, l: number): number {
  if (isNaNBits(h, l)) return 0xffffffff;
  if (h === 0x80000000 && l === 0) return 0x7fffffff;
  return h < 0x80000000 ? ~h & 0x7fffffff : h;
}

function mappedLow(h: number, l: number): number {
  if (isNaNBits(h, l)) return 0xffffffff;
  if (h === 0x80000000 && l === 0) return 0xffffffff;
  return h < 0x80000000 ? ~l >>> 0 : l;
}

/** How many leading bits of the mapped keys are the same for every key (64 when all are). */
function sharedLeadingBits(keys: Float64Array): number {
  // Every mapped key lies between the mapped largest key (smallest value) and the mapped
  // smallest key (or NaN's, the largest value), so all share the bits on which those agree.
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nan = false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k < min) min = k;
    if (k > max) max = k;
    if (k !== k) nan = true;
  }
  if (min > max) return 64; // no keys, or only NaN
  const ends = new Float64Array([max, nan ? Number.NaN : min]);
  const w = new Uint32Array(ends.buffer);
  const aH = mappedHigh(w[HI]!, w[LO]!);
  const bH = mappedHigh(w[2 + HI]!, w[2 + LO]!);
  if (aH !== bH) return Math.clz32((aH ^ bH) >>> 0);
  return 32 + Math.clz32((mappedLow(w[HI]!, w[LO]!) ^ mappedLow(w[2 + HI]!, w[2 + LO]!)) >>> 0);
}

/** `count` bits of the 64-bit (h, l), starting `from` bits below its top (zeros past the end). */
function bitsAt(h: number, l: number, from: number, count: number): number {
  let top: number;
  if (from === 0) top = h;
  else if (from < 32) top = ((h << from) | (l >>> (32 - from))) >>> 0;
  else if (from < 64) top = (l << (from - 32)) >>> 0;
  else top = 0;
  return top >>> (32 - count);
}

/**
 * The sort keys: `top[i]` gets the 30 bits below the shared prefix; `packed` gets, per key,
 * the following 30 bits in the high word (below 2^30, so the double is finite and never NaN
 * and its bits survive any copy) and the index in the low word.
 */
function packKeys(keys: Float64Array, shared: number, packed: Float64Array, top: Uint32Array): void {
  const n = keys.length;
  const bits = new Uint32Array(keys.buffer, keys.byteOffset, n * 2);
  const words = new Uint32Array(packed.buffer, packed.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const h = mappedHigh(bits[2 * i + HI]!, bits[2 * i + LO]!);
    const l = mappedLow(bits[2 * i + HI]!, bits[2 * i + LO]!);
    top[i] = bitsAt(h, l, shared, KEY_BITS);
    words[2 * i + HI] = bitsAt(h, l, shared + KEY_BITS, KEY_BITS);
    words[2 * i + LO] = i;
  }
}

/** The indices, in sorted order. */
function unpack(words: Uint32Array, out: Uint32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = words[2 * i + LO]!;
}

/** Puts each index's top 30 bits in the high word, for the last passes. */
function repack(packed: Float64Array, top: Uint32Array): void {
  const n = top.length;
  const words = new Uint32Array(packed.buffer, packed.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) words[2 * i + HI] = top[words[2 * i + LO]!]!;
}

/**
 * Stable LSD radix sort of packed (key, index) doubles by their high word: two 15-bit passes,
 * from `from` to `to` and back. Returns the one that holds the result.
 */
function radixSortPacked(from: Float64Array, to: Float64Array): Float64Array {
  const n = from.length;
  const counts = countDigits(from);
  for (let p = 0; p < 2; p++) {
    const base = p * RADIX;
    if (!toOffsets(counts, base, n)) continue;
    scatter(from, to, counts, base, p * DIGIT_BITS);
    [from, to] = [to, from];
  }
  return from;
}

/** Both digits' counts in one read pass. */
function countDigits(packed: Float64Array): Uint32Array {
  const counts = new Uint32Array(2 * RADIX);
  const words = new Uint32Array(packed.buffer, packed.byteOffset, 2 * packed.length);
  for (let i = 0; i < packed.length; i++) {
    const k = words[2 * i + HI]!;
    const d0 = k & MASK;
    const d1 = RADIX + (k >>> DIGIT_BITS);
    counts[d0] = counts[d0]! + 1;
    counts[d1] = counts[d1]! + 1;
  }
  return counts;
}

/** One pass: each packed value to the next free slot of its digit. */
function scatter(from: Float64Array, to: Float64Array, offsets: Uint32Array, base: number, shift: number): void {
  const words = new Uint32Array(from.buffer, from.byteOffset, 2 * from.length);
  for (let i = 0; i < from.length; i++) {
    const d = base + ((words[2 * i + HI]! >>> shift) & MASK);
    const at = offsets[d]!;
    offsets[d] = at + 1;
    to[at] = from[i]!;
  }
}

/**
 * Turns a pass's digit counts into start offsets in place. Returns false (nothing to move)
 * when one digit holds every key.
 */
function toOffsets(counts: Uint32Array, base: number, n: number): boolean {
  let sum = 0;
  for (let d = base; d < base + RADIX; d++) {
    const c = counts[d]!;
    if (c === n) return false;
    counts[d] = sum;
    sum += c;
  }
  return true;
}

/**
 * Puts each run of keys with equal top 30 bits (`words`: the sorted packed values) in order by
 * the full keys, stably, where the 60 sorted bits did not. Only reached for keys spread over
 * more than 2^60 ulps (mixed signs, huge exponent ranges), where such runs are rare.
 */
function settleRuns(keys: Float64Array, words: Uint32Array, idx: Uint32Array): void {
  const n = idx.length;
  let start = 0;
  while (start < n) {
    let end = start + 1;
    let ordered = true;
    for (; end < n && words[2 * end + HI] === words[2 * start + HI]; end++) {
      if (keys[idx[end - 1]!]! < keys[idx[end]!]!) ordered = false;
    }
    if (!ordered) {
      // Sorting indices by key, then index, is a stable sort by key.
      const run = Array.from(idx.subarray(start, end)).sort((a, b) => keys[b]! - keys[a]! || a - b);
      idx.set(run, start);
    }
    start = end;
  }
}

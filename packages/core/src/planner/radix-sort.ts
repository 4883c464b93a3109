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
export function sortIndicesByKeyDescending(keys: Float64Array, scratch?: SortScratch, bounds?: KeyBounds): Uint32Array {
  const n = keys.length;
  const a = scratch ? scratch.a.subarray(0, n) : new Float64Array(n);
  const b = scratch ? scratch.b.subarray(0, n) : new Float64Array(n);
  const out = scratch ? scratch.out.subarray(0, n) : new Uint32Array(n);
  const shared = sharedLeadingBits(bounds ?? keyBounds(keys));
  const settle = shared + 2 * KEY_BITS < 64;
  // Settling runs reads the keys after the passes, which overwrite `b`.
  if (settle && keys.buffer === b.buffer) keys = keys.slice();
  // LSD: first by the 30 bits below the top 30, then, stably, by the top 30 (kept meanwhile
  // in `out`). Digit counts for all four passes are taken while packing.
  const counts = packKeys(keys, shared, a, out);
  const sorted = sortPacked(a, b, counts, 0);
  repack(sorted, out);
  sortPacked(sorted, sorted === a ? b : a, counts, 2 * RADIX, out);
  // Only keys spread over more than 2^60 ulps (mixed signs, huge exponent ranges) can still
  // be out of order, among keys equal in all 60 sorted bits.
  if (settle) settleRuns(keys, out, shared);
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

/** Smallest and largest key and whether any is NaN, when the caller has them already. */
export interface KeyBounds {
  readonly min: number;
  readonly max: number;
  readonly nan: boolean;
}

export function keyBounds(keys: Float64Array): KeyBounds {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nan = false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k < min) min = k;
    if (k > max) max = k;
    if (k !== k) nan = true;
  }
  return { min, max, nan };
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
export function sharedLeadingBits({ min, max, nan }: KeyBounds): number {
  // Every mapped key lies between the mapped largest key (smallest value) and the mapped
  // smallest key (or NaN's, the largest value), so all share the bits on which those agree.
  if (min > max) return 64; // no keys, or only NaN
  const ends = new Float64Array([max, nan ? Number.NaN : min]);
  const w = new Uint32Array(ends.buffer);
  const aH = mappedHigh(w[HI]!, w[LO]!);
  const bH = mappedHigh(w[2 + HI]!, w[2 + LO]!);
  if (aH !== bH) return Math.clz32((aH ^ bH) >>> 0);
  return 32 + Math.clz32((mappedLow(w[HI]!, w[LO]!) ^ mappedLow(w[2 + HI]!, w[2 + LO]!)) >>> 0);
}

/**
 * The first `count` ≤ 30 bits of key i's mapped value after the `shared` leading bits that all
 * keys have in common (`bits`: the keys' 32-bit words): a digit in decreasing key order.
 */
export function leadingDigit(bits: Uint32Array, i: number, shared: number, count: number): number {
  const h = bits[2 * i + HI]!;
  const l = bits[2 * i + LO]!;
  return bitsAt(mappedHigh(h, l), mappedLow(h, l), shared, count);
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
 * and its bits survive any copy) and the index in the low word. Returns the digit counts of
 * the four passes (low word's two digits, then top's two).
 */
function packKeys(keys: Float64Array, shared: number, packed: Float64Array, top: Uint32Array): Uint32Array {
  const n = keys.length;
  const counts = new Uint32Array(4 * RADIX);
  const bits = new Uint32Array(keys.buffer, keys.byteOffset, n * 2);
  const words = new Uint32Array(packed.buffer, packed.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const h = mappedHigh(bits[2 * i + HI]!, bits[2 * i + LO]!);
    const l = mappedLow(bits[2 * i + HI]!, bits[2 * i + LO]!);
    const t = bitsAt(h, l, shared, KEY_BITS);
    const u = bitsAt(h, l, shared + KEY_BITS, KEY_BITS);
    top[i] = t;
    words[2 * i + HI] = u;
    words[2 * i + LO] = i;
    count(counts, u & MASK);
    count(counts, RADIX + (u >>> DIGIT_BITS));
    count(counts, 2 * RADIX + (t & MASK));
    count(counts, 3 * RADIX + (t >>> DIGIT_BITS));
  }
  return counts;
}

function count(counts: Uint32Array, at: number): void {
  counts[at] = counts[at]! + 1;
}

/** Puts each index's top 30 bits in the high word, for the last passes. */
function repack(packed: Float64Array, top: Uint32Array): void {
  const n = top.length;
  const words = new Uint32Array(packed.buffer, packed.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) words[2 * i + HI] = top[words[2 * i + LO]!]!;
}

/**
 * Stable LSD radix sort of packed (key, index) doubles by their high word: two 15-bit passes
 * (digit counts at `counts[base …]`), from `from` to `to` and back; a pass whose digit is
 * equal for all keys is skipped. Returns the array that holds the result; with `indices`,
 * writes the sorted indices there instead (the last pass moves indices only).
 */
function sortPacked(from: Float64Array, to: Float64Array, counts: Uint32Array, base: number, indices?: Uint32Array): Float64Array {
  const n = from.length;
  const moves = [toOffsets(counts, base, n), toOffsets(counts, base + RADIX, n)];
  const last = moves[1] ? 1 : moves[0] ? 0 : -1;
  for (let p = 0; p < 2; p++) {
    if (!moves[p]) continue;
    if (indices && p === last) {
      scatterIndices(from, indices, counts, base + p * RADIX, p * DIGIT_BITS);
      return from;
    }
    scatter(from, to, counts, base + p * RADIX, p * DIGIT_BITS);
    [from, to] = [to, from];
  }
  if (indices) unpack(from, indices);
  return from;
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

/** The last pass: only the index of each packed value goes to the next free slot of its digit. */
function scatterIndices(from: Float64Array, to: Uint32Array, offsets: Uint32Array, base: number, shift: number): void {
  const words = new Uint32Array(from.buffer, from.byteOffset, 2 * from.length);
  for (let i = 0; i < from.length; i++) {
    const d = base + ((words[2 * i + HI]! >>> shift) & MASK);
    const at = offsets[d]!;
    offsets[d] = at + 1;
    to[at] = words[2 * i + LO]!;
  }
}

/** The indices of packed values, in their order. */
function unpack(packed: Float64Array, out: Uint32Array): void {
  const words = new Uint32Array(packed.buffer, packed.byteOffset, 2 * packed.length);
  for (let i = 0; i < out.length; i++) out[i] = words[2 * i + LO]!;
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
 * Puts each run of keys with equal top 30 bits in order by the full keys, stably, where the
 * 60 sorted bits did not. Only reached for keys spread over more than 2^60 ulps (mixed signs,
 * huge exponent ranges), where such runs are rare.
 */
function settleRuns(keys: Float64Array, idx: Uint32Array, shared: number): void {
  const bits = new Uint32Array(keys.buffer, keys.byteOffset, keys.length * 2);
  const topOf = (i: number) => {
    const h = bits[2 * i + HI]!;
    const l = bits[2 * i + LO]!;
    return bitsAt(mappedHigh(h, l), mappedLow(h, l), shared, KEY_BITS);
  };
  const n = idx.length;
  let start = 0;
  while (start < n) {
    const top = topOf(idx[start]!);
    let end = start + 1;
    let ordered = true;
    for (; end < n && topOf(idx[end]!) === top; end++) {
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

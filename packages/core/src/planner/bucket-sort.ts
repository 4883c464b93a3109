/**
 * Stable sorting by decreasing float64 key, in (near) linear time, for the planner's hull steps
 * (up to ~2.5 M with per-miner tables). A comparator sort costs a JS call per comparison
 * (~30 M of them, 0.4–1.5 s for 1.4 M steps); even the engine's native numeric sort of 1.4 M
 * doubles takes ~120 ms here.
 *
 * Keys are bucketed, most significant bits first:
 * 1. Each key's IEEE-754 bits map to an unsigned 64-bit value whose ascending order is the
 *    keys' descending numeric order (`mappedHigh` / `mappedLow`).
 * 2. The leading bits that every key shares (sign, most of the exponent: ratios span a decade
 *    or two) carry no order and are skipped (`sharedLeadingBits`).
 * 3. The next 11 bits pick one of 2048 buckets (`leadingDigit`). The caller lays its data out
 *    bucket by bucket, in input order within a bucket (`bucketStarts`), so that everything
 *    after this reads and writes one bucket's few hundred entries at a time (cache-friendly;
 *    a global radix sort followed by a gather was a random read per key into tens of MB).
 * 4. `sortWithinBuckets`: a bucket already in order (true ties are common: equal ratios
 *    across tables) is left alone; a small one gets an insertion sort; a larger one is split
 *    again on the next 11 bits and each part insertion-sorted (or, if a part is large and out
 *    of order, comparator-sorted: only adversarial keys get there).
 *
 * Every step is stable, so equal keys keep their input order: the tie-break the planner
 * wants (group, then level: the order in which steps are generated). −0 sorts as +0; NaN keys
 * sort last (the planner never makes one: hull steps have ΔW > 0 and ΔTH > 0).
 */

/** Smallest and largest key and whether any is NaN. */
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

/** Bits of a key that pick its bucket: 2048 buckets. */
export const BUCKET_BITS = 11;
const BUCKETS = 1 << BUCKET_BITS;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index of the high / low 32-bit word of a float64 in a Uint32Array view. */
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

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
 * `count` ≤ 30 bits of key i's mapped value, `from` bits below its top (zeros past the end),
 * `bits` being the keys' 32-bit words: with `from` = the shared leading bits, a digit in
 * decreasing key order.
 */
export function leadingDigit(bits: Uint32Array, i: number, from: number, count: number): number {
  const raw = bits[2 * i + HI]!;
  const low = bits[2 * i + LO]!;
  const h = mappedHigh(raw, low);
  const l = mappedLow(raw, low);
  let top: number;
  if (from === 0) top = h;
  else if (from < 32) top = ((h << from) | (l >>> (32 - from))) >>> 0;
  else if (from < 64) top = (l << (from - 32)) >>> 0;
  else top = 0;
  return top >>> (32 - count);
}

/**
 * Each key's bucket into `digit`, and where each bucket starts when the keys are laid out
 * bucket by bucket (`BUCKETS` entries).
 */
export function bucketStarts(keys: Float64Array, shared: number, digit: Uint16Array): Uint32Array {
  const bits = new Uint32Array(keys.buffer, keys.byteOffset, 2 * keys.length);
  const starts = new Uint32Array(BUCKETS);
  for (let i = 0; i < keys.length; i++) {
    const d = leadingDigit(bits, i, shared, BUCKET_BITS);
    digit[i] = d;
    starts[d] = starts[d]! + 1;
  }
  let sum = 0;
  for (let d = 0; d < BUCKETS; d++) {
    const c = starts[d]!;
    starts[d] = sum;
    sum += c;
  }
  return starts;
}

/**
 * `keys` laid out bucket by bucket (bucket d ends at `ends[d]`), input order within a bucket:
 * writes to `order` the positions of the keys in decreasing key order, ties in position order.
 */
export function sortWithinBuckets(keys: Float64Array, ends: Uint32Array, shared: number, order: Uint32Array): void {
  let largest = 0;
  for (let d = 0, start = 0; d < BUCKETS; start = ends[d++]!) largest = Math.max(largest, ends[d]! - start);
  const scratch: SplitScratch = {
    digit: new Uint16Array(largest), placed: new Uint32Array(largest), counts: [],
    slot: new Uint8Array(largest), values: new Float64Array(FEW_VALUES), rank: new Uint8Array(FEW_VALUES), rankStart: new Uint32Array(FEW_VALUES + 1),
  };
  for (let d = 0, start = 0; d < BUCKETS; start = ends[d++]!) {
    const end = ends[d]!;
    for (let i = start; i < end; i++) order[i] = i;
    sortPart(keys, order, start, end, shared + BUCKET_BITS, scratch, 0);
  }
}

/** Reused between parts: a part's digits and entries while it is split, digit counts per level, and the few-values sort's tables. */
interface SplitScratch {
  readonly digit: Uint16Array;
  readonly placed: Uint32Array;
  readonly slot: Uint8Array;
  readonly values: Float64Array;
  readonly rank: Uint8Array;
  readonly rankStart: Uint32Array;
  readonly counts: Uint32Array[];
}

/** Puts order[start … end) in order; `from`: how many leading bits of the keys it is sorted on already. */
function sortPart(keys: Float64Array, order: Uint32Array, start: number, end: number, from: number, scratch: SplitScratch, depth: number): void {
  if (end - start < 2 || inOrder(keys, order, start, end)) return;
  if (end - start <= INSERTION_MAX) insertionSort(keys, order, start, end);
  else if (fewValuesSort(keys, order, start, end, scratch)) return;
  else if (from < 64) splitAndSort(keys, order, start, end, from, scratch, depth);
  else {
    // Unreachable for keys that differ: 64 bits settle every order. Kept as a plain fallback.
    const run = Array.from(order.subarray(start, end)).sort(compare(keys));
    order.set(run, start);
  }
}

/** Runs up to this long are insertion-sorted. */
const INSERTION_MAX = 32;

/** Whether key x sorts strictly before key y: larger first, NaN after every number. */
function before(x: number, y: number): boolean {
  return x > y || (y !== y && x === x);
}

function inOrder(keys: Float64Array, order: Uint32Array, start: number, end: number): boolean {
  for (let i = start + 1; i < end; i++) if (before(keys[order[i]!]!, keys[order[i - 1]!]!)) return false;
  return true;
}

/** Comparator for the fallback sort: by key, then position. */
function compare(keys: Float64Array): (a: number, b: number) => number {
  return (a, b) => (before(keys[a]!, keys[b]!) ? -1 : before(keys[b]!, keys[a]!) ? 1 : a - b);
}

/** Moves an entry only past keys it sorts strictly before, so ties keep their order. */
function insertionSort(keys: Float64Array, order: Uint32Array, start: number, end: number): void {
  for (let i = start + 1; i < end; i++) {
    const v = order[i]!;
    const kv = keys[v]!;
    let j = i - 1;
    while (j >= start && before(kv, keys[order[j]!]!)) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = v;
  }
}

/** At most this many distinct keys in a part: sorted by counting per value. */
const FEW_VALUES = 8;

/**
 * A large part with at most `FEW_VALUES` distinct keys, typically one value repeated with a
 * few keys one rounding away (tables offset by a constant): a stable counting sort by value,
 * where splitting on bits would take several levels to reach the last bits. Returns false,
 * having changed nothing, when the part has more values.
 */
function fewValuesSort(keys: Float64Array, order: Uint32Array, start: number, end: number, scratch: SplitScratch): boolean {
  const { values, slot, placed } = scratch;
  let count = 0;
  for (let i = start; i < end; i++) {
    const k = keys[order[i]!]!;
    let v = 0;
    while (v < count && values[v] !== k) v++;
    if (v === count) {
      if (count === FEW_VALUES || k !== k) return false;
      values[count++] = k;
    }
    slot[i - start] = v;
  }
  // Rank of each value (larger first), then a stable counting sort by rank.
  const rankStart = scratch.rankStart.fill(0);
  for (let v = 0; v < count; v++) {
    let rank = 0;
    for (let u = 0; u < count; u++) if (values[u]! > values[v]!) rank++;
    scratch.rank[v] = rank;
  }
  for (let i = 0; i < end - start; i++) {
    const r = scratch.rank[slot[i]!]! + 1;
    rankStart[r] = rankStart[r]! + 1;
  }
  for (let r = 1; r <= count; r++) rankStart[r] = rankStart[r]! + rankStart[r - 1]!;
  placed.set(order.subarray(start, end));
  for (let i = 0; i < end - start; i++) {
    const r = scratch.rank[slot[i]!]!;
    order[start + rankStart[r]!] = placed[i]!;
    rankStart[r] = rankStart[r]! + 1;
  }
  return true;
}

/**
 * A large part out of order: a stable counting sort on the next bits of its keys (`from` bits
 * below the top; about log2 of its size, so that the counts cost no more than the keys),
 * then each smaller part the same way. Long runs of keys that differ only in their last bits
 * (tables offset by a constant give equal ratios and ratios one rounding apart) take a few
 * levels of this, never a comparison sort.
 */
function splitAndSort(keys: Float64Array, order: Uint32Array, start: number, end: number, from: number, scratch: SplitScratch, depth: number): void {
  const bits = new Uint32Array(keys.buffer, keys.byteOffset, 2 * keys.length);
  const width = Math.min(BUCKET_BITS, Math.max(4, 32 - Math.clz32(end - start - 1)));
  const counts = (scratch.counts[depth] ??= new Uint32Array(BUCKETS)).subarray(0, 1 << width);
  const { digit, placed } = scratch;
  counts.fill(0);
  for (let i = start; i < end; i++) {
    const d = leadingDigit(bits, order[i]!, from, width);
    digit[i - start] = d;
    counts[d] = counts[d]! + 1;
  }
  let at = start;
  for (let d = 0; d < counts.length; d++) {
    const c = counts[d]!;
    counts[d] = at;
    at += c;
  }
  // Entries in order[start … end) are positions; place them by digit, keeping their order.
  placed.set(order.subarray(start, end));
  for (let i = 0; i < end - start; i++) {
    const d = digit[i]!;
    order[counts[d]!] = placed[i]!;
    counts[d] = counts[d]! + 1;
  }
  // counts[d] is now the end of part d.
  for (let d = 0, s = start; d < counts.length; s = counts[d++]!) {
    sortPart(keys, order, s, counts[d]!, from + width, scratch, depth + 1);
  }
}

/**
 * Indices 0 … n−1 by decreasing key, ties (and NaN, last) in index order: bucket, then sort
 * within buckets. The planner does the same with its own data laid out by bucket.
 */
export function sortIndicesByKeyDescending(keys: Float64Array): Uint32Array {
  const n = keys.length;
  const shared = sharedLeadingBits(keyBounds(keys));
  const digit = new Uint16Array(n);
  const ends = bucketStarts(keys, shared, digit);
  const laidOut = new Float64Array(n);
  const from = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const at = ends[digit[i]!]!;
    ends[digit[i]!] = at + 1;
    laidOut[at] = keys[i]!;
    from[at] = i;
  }
  const order = new Uint32Array(n);
  sortWithinBuckets(laidOut, ends, shared, order);
  for (let r = 0; r < n; r++) order[r] = from[order[r]!]!;
  return order;
}

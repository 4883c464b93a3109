import type { FleetTables } from './fleet-tables.js';

/**
 * Miners whose option tables are identical (same powers and hashrates in the same order)
 * and that sit in the same zone form one group: the planner computes their hull once and
 * moves them as a count. A real fleet of 100k miners has a few hundred distinct tables
 * (model × default-voltage bin), so this turns 2.5 M hull steps into a few thousand; a fleet
 * where every table differs still works, one miner per group.
 */
export interface MinerGroups {
  readonly groupCount: number;
  /** Group of each miner, or −1 for a miner outside any group (pinned or excluded). */
  readonly groupOf: Int32Array;
  /** A representative miner per group (its options stand for all members'). */
  readonly representative: Int32Array;
  /** Members of group g: `members[memberStart[g] … memberStart[g+1]-1]`, in miner order. */
  readonly memberStart: Uint32Array;
  readonly members: Int32Array;
}

export function groupTables(fleet: FleetTables, free: Uint8Array, zoneOf: Int32Array | undefined): MinerGroups {
  const n = fleet.minerCount;
  const { offsets, powerW, hashrateThs } = fleet;
  // 32-bit views of the option values, to hash their exact bits.
  const pw = new Uint32Array(powerW.buffer, powerW.byteOffset, powerW.length * 2);
  const hw = new Uint32Array(hashrateThs.buffer, hashrateThs.byteOffset, hashrateThs.length * 2);
  // Open-addressing table: slot → group + 1 (0 = empty); groups with the same slot chain.
  const slots = 1 << Math.max(4, Math.ceil(Math.log2(n * 2 + 1)));
  const table = new Int32Array(slots);
  const groupOf = new Int32Array(n).fill(-1);
  const reps = new Int32Array(n);
  const hashes = new Int32Array(n);
  const sizes = new Uint32Array(n + 1);
  let groupCount = 0;
  for (let m = 0; m < n; m++) {
    if (!free[m]) continue;
    const lo = offsets[m]!;
    const hi = offsets[m + 1]!;
    const zone = zoneOf ? zoneOf[m]! : -1;
    let h = Math.imul(0x811c9dc5 ^ (hi - lo), 16777619) ^ zone;
    // Two mixes per option: the high word of the power (whole watts live there) and both
    // words of the hashrate folded. Equal tables always hash equal; sameTable settles
    // collisions exactly.
    for (let w = 2 * lo; w < 2 * hi; w += 2) {
      h = Math.imul(h ^ pw[w + 1]!, 16777619);
      h = Math.imul(h ^ (hw[w]! ^ hw[w + 1]!), 16777619);
    }
    let slot = (h ^ (h >>> 15)) & (slots - 1);
    let g = -1;
    for (;;) {
      const entry = table[slot]!;
      if (entry === 0) break;
      const c = entry - 1;
      if (hashes[c] === h && sameTable(fleet, reps[c]!, m) && (!zoneOf || zoneOf[reps[c]!] === zone)) {
        g = c;
        break;
      }
      slot = (slot + 1) & (slots - 1);
    }
    if (g < 0) {
      g = groupCount++;
      reps[g] = m;
      hashes[g] = h;
      table[slot] = g + 1;
    }
    groupOf[m] = g;
    sizes[g + 1] = sizes[g + 1]! + 1;
  }
  const memberStart = new Uint32Array(groupCount + 1);
  for (let g = 0; g < groupCount; g++) memberStart[g + 1] = memberStart[g]! + sizes[g + 1]!;
  const fill = memberStart.slice(0, groupCount);
  const members = new Int32Array(memberStart[groupCount]!);
  for (let m = 0; m < n; m++) {
    const g = groupOf[m]!;
    if (g >= 0) {
      members[fill[g]!] = m;
      fill[g] = fill[g]! + 1;
    }
  }
  return { groupCount, groupOf, representative: reps.slice(0, groupCount), memberStart, members };
}

function sameTable(fleet: FleetTables, a: number, b: number): boolean {
  const { offsets, powerW, hashrateThs } = fleet;
  const la = offsets[a]!;
  const lb = offsets[b]!;
  const len = offsets[a + 1]! - la;
  if (offsets[b + 1]! - lb !== len) return false;
  for (let i = 0; i < len; i++) {
    if (powerW[la + i] !== powerW[lb + i] || hashrateThs[la + i] !== hashrateThs[lb + i]) return false;
  }
  return true;
}

import type { DeviceOverride } from '@wattbroker/contracts';
import type { ClassZones } from '../policy/class-zones.js';
import type { Policy } from '../policy/policy.js';
import { estimateW } from '../state/device-draws.js';
import type { DeviceState, SiteState } from '../state/site-state.js';
import {
  DISOBEDIENT, IN_TRANSITION, MAINTENANCE, ON_TARGET, OFF_TARGET, SILENT, UNKNOWN, UNREACHABLE, deviceStatus, worstCaseW,
} from './device-status.js';

/**
 * The per-device part of a snapshot: how each device stands against its target and what it
 * counts for, one row per device in `state.deviceList` order, kept between steps. A row is
 * worked out again only when something it is derived from may have changed:
 * - the device's record (the reducers that write one add it to `state.touched`);
 * - its host's liveness, or an operator override naming it;
 * - the clock passing a time its status or dwell turns on (`until`: a grace period, a
 *   command's result time-out, the end of its minimum dwell);
 * and all of them when the devices, the policy or the zones change, or the clock goes back.
 * Why: working every row out on every step was most of a step — at 2,000 miners a third of a
 * backtest, at 100,000 miners ~27 ms a step — though most devices change nothing between
 * two steps. GPUs (a few per host, their budget turns on the jobs) are worked out every step.
 */
export interface DeviceRows {
  readonly status: Uint8Array;
  readonly worstW: Float64Array;
  readonly heading: (string | undefined)[];
  readonly inDwell: Uint8Array;
  readonly hasTarget: Uint8Array;
  /** What the latest reading draws and hashes (0 without one). */
  readonly drawW: Float64Array;
  readonly hashrateThs: Float64Array;
  /** Miners the planner may not move: the draw they are fixed at (NaN: plannable). */
  readonly fixedW: Float64Array;
  /** Plannable miners: their draw; settled ones, their draw and the planner's estimate; in transition, the shed still to land. */
  readonly plannableW: Float64Array;
  readonly settledW: Float64Array;
  readonly settledEstimateW: Float64Array;
  readonly pendingShedW: Float64Array;
  /** What the miner adds to its zone's lowest and highest draw, and the zone ('' none). */
  readonly zoneMinW: Float64Array;
  readonly zoneMaxW: Float64Array;
  readonly zone: string[];
  /** Per device: 1 for a GPU. Positions of the miners and of the GPUs, in list order. */
  readonly isGpu: Uint8Array;
  readonly miners: Int32Array;
  readonly gpus: Int32Array;
}

interface RowCache extends DeviceRows {
  readonly length: number;
  readonly indexOf: Map<DeviceState, number>;
  /** Per host, the positions of its devices; per host, whether it was live. */
  readonly byHost: Map<string, number[]>;
  readonly live: Map<string, boolean>;
  readonly hostOf: string[];
  /** Per device: the first time its row may change with nothing written (∞: none). */
  readonly until: Float64Array;
  readonly reconcile: Policy['reconcile'];
  readonly minDwellMs: number;
  readonly zones: ClassZones;
  readonly overrideIds: Set<string>;
  at: number;
}

const caches = new WeakMap<SiteState, RowCache>();

const roundUp50 = (w: number) => Math.ceil(w / 50) * 50;

/**
 * The rows at `now`. `fresh`: every row worked out from the records (the cache is neither
 * read nor written; tests compare the two).
 */
export function deviceRows(state: SiteState, policy: Policy, now: number, liveHosts: ReadonlySet<string>, zones: ClassZones, fresh = false): DeviceRows {
  const list = state.deviceList;
  const c = fresh ? undefined : caches.get(state);
  if (!c || c.length !== list.length || c.reconcile !== policy.reconcile || c.minDwellMs !== policy.minDwellMs || c.zones !== zones || now < c.at) {
    return allRows(state, policy, now, liveHosts, zones, fresh);
  }
  const dirty = new Set<number>(c.gpus);
  let moved = false;
  for (const d of state.touched) {
    const i = c.indexOf.get(d);
    if (i === undefined) continue;
    // A device re-registered as the other kind changes the miners' and GPUs' positions.
    if ((d.inv.kind === 'gpu') !== (c.isGpu[i] === 1)) return allRows(state, policy, now, liveHosts, zones, fresh);
    dirty.add(i);
    if (d.hostId !== c.hostOf[i]) moved = true;
  }
  state.touched.clear();
  if (moved) rebuildHosts(c, list);
  for (const [h, members] of c.byHost) {
    const live = liveHosts.has(h);
    if (c.live.get(h) === live) continue;
    c.live.set(h, live);
    for (const i of members) dirty.add(i);
  }
  // Overrides are few: the devices named now or at the last step (one may have been lifted).
  for (const id of [...c.overrideIds, ...state.overrides.keys()]) {
    const d = state.devices.get(id);
    const i = d && c.indexOf.get(d);
    if (i !== undefined) dirty.add(i);
  }
  c.overrideIds.clear();
  for (const id of state.overrides.keys()) c.overrideIds.add(id);
  const until = c.until;
  for (let i = 0; i < until.length; i++) if (until[i]! <= now) dirty.add(i);
  for (const i of dirty) computeRow(c, i, list[i]!, liveHosts, state, policy, now);
  c.at = now;
  return c;
}

function allRows(state: SiteState, policy: Policy, now: number, liveHosts: ReadonlySet<string>, zones: ClassZones, fresh: boolean): RowCache {
  const list = state.deviceList;
  const c = emptyRows(list, policy, zones);
  for (let i = 0; i < list.length; i++) computeRow(c, i, list[i]!, liveHosts, state, policy, now);
  for (const h of c.byHost.keys()) c.live.set(h, liveHosts.has(h));
  for (const id of state.overrides.keys()) c.overrideIds.add(id);
  c.at = now;
  if (!fresh) {
    state.touched.clear();
    caches.set(state, c);
  }
  return c;
}

function emptyRows(list: readonly DeviceState[], policy: Policy, zones: ClassZones): RowCache {
  const n = list.length;
  const miners: number[] = [];
  const gpus: number[] = [];
  const indexOf = new Map<DeviceState, number>();
  const isGpu = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const d = list[i]!;
    indexOf.set(d, i);
    isGpu[i] = d.inv.kind === 'gpu' ? 1 : 0;
    (isGpu[i] ? gpus : miners).push(i);
  }
  const c: RowCache = {
    status: new Uint8Array(n), worstW: new Float64Array(n), heading: new Array<string | undefined>(n).fill(undefined),
    inDwell: new Uint8Array(n), hasTarget: new Uint8Array(n), drawW: new Float64Array(n), hashrateThs: new Float64Array(n),
    fixedW: new Float64Array(n).fill(Number.NaN), plannableW: new Float64Array(n), settledW: new Float64Array(n), settledEstimateW: new Float64Array(n),
    pendingShedW: new Float64Array(n), zoneMinW: new Float64Array(n), zoneMaxW: new Float64Array(n), zone: new Array<string>(n).fill(''),
    miners: Int32Array.from(miners), gpus: Int32Array.from(gpus),
    length: n, indexOf, isGpu, byHost: new Map(), live: new Map(), hostOf: new Array<string>(n), until: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    reconcile: policy.reconcile, minDwellMs: policy.minDwellMs, zones, overrideIds: new Set(), at: Number.NEGATIVE_INFINITY,
  };
  rebuildHosts(c, list);
  return c;
}

function rebuildHosts(c: RowCache, list: readonly DeviceState[]): void {
  c.byHost.clear();
  for (let i = 0; i < list.length; i++) {
    const h = list[i]!.hostId;
    c.hostOf[i] = h;
    let members = c.byHost.get(h);
    if (!members) c.byHost.set(h, (members = []));
    members.push(i);
  }
  // A host first seen here has no liveness recorded: its devices were just worked out.
  for (const h of c.live.keys()) if (!c.byHost.has(h)) c.live.delete(h);
}

/**
 * The earlier of `until` and `t`, counting `t` only when it is not behind `now`. At `t === now`
 * a window `now - x < T` may still be open: `x + T` can round to `now` when `T` is not a whole
 * number (a dwell of 8.05 s is 8050.000000000001 ms), so the row is worked out again next time.
 */
const later = (now: number, until: number, t: number) => (t >= now && t < until ? t : until);

/** Row i from device d's record (what the snapshot's loop over every device did). */
function computeRow(c: RowCache, i: number, d: DeviceState, liveHosts: ReadonlySet<string>, state: SiteState, policy: Policy, now: number): void {
  const live = liveHosts.has(d.hostId);
  if (!c.live.has(d.hostId)) c.live.set(d.hostId, live);
  const override: DeviceOverride | undefined = state.overrides.size > 0 ? state.overrides.get(d.id) : undefined;
  const rc = policy.reconcile;
  const s = deviceStatus(d, live, override, rc, now);
  const w = worstCaseW(d, s);
  const drawW = d.reading?.powerW ?? 0;
  c.status[i] = s;
  c.worstW[i] = w;
  c.drawW[i] = drawW;
  c.hasTarget[i] = d.desired ? 1 : 0;
  // The times the status (a grace period, a result time-out, a transition's bound) or the dwell turn on.
  const since = Math.max(d.sentAt, d.appliedAt);
  let until = Number.POSITIVE_INFINITY;
  until = later(now, until, d.sentAt + rc.resultTimeoutMs);
  until = later(now, until, since + rc.graceMs);
  until = later(now, until, since + rc.transitionMaxMs);
  if (d.changedAt > 0) until = later(now, until, d.changedAt + policy.minDwellMs);
  c.until[i] = until;
  if (d.inv.kind === 'gpu') return;
  c.hashrateThs[i] = d.reading?.hashrateThs ?? 0;
  c.inDwell[i] = d.changedAt > 0 && now - d.changedAt < policy.minDwellMs ? 1 : 0;
  c.heading[i] = !(s === SILENT || s === UNKNOWN || s === UNREACHABLE || s === MAINTENANCE) && d.reading
    ? (d.desired?.kind === 'asic' ? d.desired.profile : d.reading.sleeping ? 'sleep' : d.reading.profile)
    : undefined;
  // Miners the planner cannot move are fixed at their budget: without a reading at their
  // maximum, in maintenance at their draw, off target (or still being brought back) at
  // their budget, so that the rest of the site is planned around them.
  let fixedW = Number.NaN;
  if (s === SILENT || s === UNKNOWN || s === UNREACHABLE) fixedW = w;
  else if (s === MAINTENANCE) fixedW = roundUp50(drawW);
  else if (s === OFF_TARGET || s === DISOBEDIENT) fixedW = roundUp50(w);
  c.fixedW[i] = fixedW;
  c.zone[i] = c.zones.of.size === 0 ? '' : (c.zones.of.get(d.id) ?? '');
  c.plannableW[i] = 0;
  c.settledW[i] = 0;
  c.settledEstimateW[i] = 0;
  c.pendingShedW[i] = 0;
  if (fixedW === fixedW) {
    c.zoneMinW[i] = fixedW;
    c.zoneMaxW[i] = fixedW;
    return;
  }
  c.plannableW[i] = drawW;
  const row = d.readingRowW;
  if (s === ON_TARGET && !d.reading!.sleeping && row > 0) {
    c.settledW[i] = drawW;
    c.settledEstimateW[i] = row * d.plannedBias;
  } else if (s === IN_TRANSITION && d.desired?.kind === 'asic') {
    c.pendingShedW[i] = Math.max(0, drawW - estimateW(d, d.desired.profile));
  }
  c.zoneMinW[i] = d.minRowW;
  c.zoneMaxW[i] = d.maxRowW * d.plannedBias;
}

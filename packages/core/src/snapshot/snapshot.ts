import type { PriorityClass } from '@wattbroker/contracts';
import { economicsAt } from '../economics/prices.js';
import { budgetAt, type Budget } from '../grid/caps.js';
import type { Economics } from '../planner/planner.js';
import { classZones, type ClassZones } from '../policy/class-zones.js';
import type { Policy } from '../policy/policy.js';
import { sitePowerW } from '../site/site-model.js';
import { modelCooling } from '../state/meter.js';
import type { SiteState } from '../state/site-state.js';
import { deviceRows } from './device-rows.js';
import { DISOBEDIENT, OFF_TARGET, SILENT } from './device-status.js';

/**
 * Everything a control step derives from the site state, computed once per step: which hosts
 * are live, how each device stands against its target and what it is budgeted at, the budgets
 * the caps leave, what the site measures, and which miners the planner may move. Plain data;
 * the plan reads it and never the clock. A what-if (a lower cap ahead of a grid event) is a
 * snapshot with `capW` given.
 */
export interface Snapshot {
  readonly now: number;
  /** The cap the site plans to (events ahead included), and the one in force now. */
  readonly budget: Budget;
  readonly obligation: Budget;
  readonly liveHosts: ReadonlySet<string>;
  readonly silentHosts: readonly string[];
  /** Host chassis and controllers (IT load that is not a device). */
  readonly hostOverheadW: number;
  /** Per device, in `state.deviceList` order: status code (device-status.ts) and budgeted draw. */
  readonly status: Uint8Array;
  readonly worstW: Float64Array;
  /**
   * Per device, miners only: the profile it heads for (its target, or without one what its
   * reading shows: 'sleep' when asleep); undefined without a usable reading (silent, unknown,
   * unreachable) or in maintenance. Read by the planning passes instead of each device.
   */
  readonly heading: readonly (string | undefined)[];
  /** Per device: 1 when its target changed less than the policy's minimum dwell ago (a raise waits). */
  readonly inDwell: Uint8Array;
  /** Per device: 1 when it holds a target (one committed or adopted). */
  readonly hasTarget: Uint8Array;
  /**
   * Positions in `state.deviceList` of the miners and of the GPUs, in list order (the miners'
   * is the planner's order). The planning passes go through these and the per-device arrays
   * above, and read a device's own record only where something changes: at thousands of
   * miners, touching each record is most of what a pass costs.
   */
  readonly miners: Int32Array;
  readonly gpus: Int32Array;
  /** Site IT load if every device drew its budget. */
  readonly worstItW: number;
  /** GPUs' budget: those held by a job at the job's limit (at least), the rest at their worst case. */
  readonly gpuBudgetW: number;
  /**
   * What the site draws: IT from the readings; the site as modelled (IT + cooling + the learned
   * correction) and as metered (when the meter is fresh); `siteW`, what the cap is held to, is
   * the larger of the two.
   */
  readonly measured: {
    readonly asicW: number; readonly gpuW: number; readonly hashrateThs: number; readonly itW: number;
    readonly modelledSiteW: number; readonly meteredSiteW: number | undefined; readonly siteW: number;
  };
  /** Measured draw of the miners the planner may move (what an excess shed can take from). */
  readonly plannableMinerW: number;
  /**
   * Of those miners, the ones settled on their profile: what they draw, and what the planner
   * estimates them at (tables × planned bias). Their ratio converts measured watts into the
   * planner's (its draws may lag a drift the readings already show).
   */
  readonly settledMinerW: number;
  readonly settledEstimateW: number;
  /** What sheds already in flight will release once they land (readings above their targets). */
  readonly pendingShedW: number;
  /** Miners the planner must not move, at the draw they are budgeted at. */
  readonly excluded: ReadonlyMap<string, number>;
  readonly excludedW: number;
  /** Changes exactly when `excluded` changes in a way the planner sees. */
  readonly exclusionKey: string;
  readonly zones: ClassZones;
  /** Per planner zone: miner draw with every plannable miner at its lowest and at its highest. */
  readonly zoneDraws: ReadonlyMap<string, { readonly minW: number; readonly maxW: number }>;
  readonly economics: Economics | undefined;
  readonly jobs: { readonly queued: number; readonly admitting: number; readonly running: number };
  readonly offTarget: number;
  /** A what-if (another cap, or every GPU at its top limit): measured draws do not stand for it. */
  readonly whatIf: boolean;
}

const zonesOf = new WeakMap<readonly PriorityClass[], ClassZones>();

/** The priority list's planner zones (computed once per list). */
export function zonesFor(list: readonly PriorityClass[]): ClassZones {
  let z = zonesOf.get(list);
  if (!z) {
    z = classZones(list);
    zonesOf.set(list, z);
  }
  return z;
}

/**
 * A what-if: a lower cap (an upcoming grid event's), and/or every GPU at its top limit (the
 * fallback agents apply when no leader is there: GPU bursts could no longer be seen).
 */
export interface WhatIf {
  readonly capW?: number;
  readonly gpusAtMax?: boolean;
}

/** `opts.fresh`: every device's row worked out from its record, none kept from the step before (tests compare the two). */
export function deriveSnapshot(state: SiteState, policy: Policy, now: number, whatIf: WhatIf = {}, opts: { readonly fresh?: boolean } = {}): Snapshot {
  const cooling = modelCooling(state);
  const site = whatIf.capW === undefined
    ? { ...state, cooling }
    : { ...state, cooling, contract: { ...state.contract, capW: Math.min(state.contract.capW, whatIf.capW) }, gridEvents: [] };
  const budget = budgetAt(site, now, true, policy.preShedMs);
  const obligation = budgetAt(site, now, false, policy.preShedMs);

  const liveHosts = new Set<string>();
  const silentHosts: string[] = [];
  let hostOverheadW = 0;
  for (const h of state.hosts.values()) {
    hostOverheadW += h.overheadW;
    if (now - h.lastSeen <= policy.silentAfterMs) liveHosts.add(h.id);
    else silentHosts.push(h.id);
  }

  const zones = zonesFor(state.priorities);
  const list = state.deviceList;
  const rows = deviceRows(state, policy, now, liveHosts, zones, opts.fresh);
  const excluded = new Map<string, number>();
  const zoneDraws = new Map<string, { minW: number; maxW: number }>();
  let exclusionKey = silentHosts.join(',');
  let worstItW = hostOverheadW;
  let gpuBudgetW = 0;
  let asicW = 0;
  let gpuW = 0;
  let hashrateThs = 0;
  let plannableMinerW = 0;
  let settledMinerW = 0;
  let settledEstimateW = 0;
  let pendingShedW = 0;
  let excludedW = 0;
  let offTarget = 0;
  // The site's sums, in list order (as they always were added up): from the rows, reading a
  // device's record only for a GPU (its job) or an excluded miner (its id).
  const { status, worstW, drawW, fixedW, zone } = rows;
  const oneZone = zones.of.size === 0 ? { minW: 0, maxW: 0 } : undefined;
  if (oneZone && rows.miners.length > 0) zoneDraws.set('', oneZone);
  for (let i = 0; i < list.length; i++) {
    const st = status[i]!;
    const w = worstW[i]!;
    worstItW += w;
    if (st === OFF_TARGET || st === DISOBEDIENT) offTarget++;
    if (rows.isGpu[i] === 1) {
      const d = list[i]!;
      gpuW += drawW[i]!;
      const holder = state.gpuHolder.get(d.id);
      const job = holder === undefined ? undefined : state.jobs.get(holder);
      gpuBudgetW += whatIf.gpusAtMax ? (d.inv as { maxLimitW: number }).maxLimitW : job ? Math.max(job.limitW ?? (d.inv as { maxLimitW: number }).maxLimitW, w) : w;
      continue;
    }
    asicW += drawW[i]!;
    hashrateThs += rows.hashrateThs[i]!;
    const f = fixedW[i]!;
    let zd = oneZone;
    if (!zd) {
      const z = zone[i]!;
      zd = zoneDraws.get(z);
      if (!zd) zoneDraws.set(z, (zd = { minW: 0, maxW: 0 }));
    }
    if (f === f) {
      const id = list[i]!.id;
      excluded.set(id, f);
      excludedW += f;
      if (st !== SILENT) exclusionKey += `|${id}:${f}`;
    } else {
      plannableMinerW += rows.plannableW[i]!;
      settledMinerW += rows.settledW[i]!;
      settledEstimateW += rows.settledEstimateW[i]!;
      pendingShedW += rows.pendingShedW[i]!;
    }
    zd.minW += rows.zoneMinW[i]!;
    zd.maxW += rows.zoneMaxW[i]!;
  }
  const jobs = { queued: 0, admitting: 0, running: 0 };
  for (const j of state.jobs.values()) if (j.state in jobs) jobs[j.state as keyof typeof jobs]++;
  const itW = asicW + gpuW + hostOverheadW;
  const modelledSiteW = sitePowerW(cooling, itW);
  const meteredSiteW = state.meter && now - state.meter.at <= policy.meterFreshMs ? state.meter.powerW : undefined;
  return {
    now, budget, obligation, liveHosts, silentHosts, hostOverheadW,
    // Copies: the rows are worked on again at the next step, a snapshot stays as it was.
    status: status.slice(), worstW: worstW.slice(), heading: rows.heading.slice(), inDwell: rows.inDwell.slice(), hasTarget: rows.hasTarget.slice(),
    miners: rows.miners, gpus: rows.gpus, worstItW, gpuBudgetW,
    measured: { asicW, gpuW, hashrateThs, itW, modelledSiteW, meteredSiteW, siteW: Math.max(modelledSiteW, meteredSiteW ?? 0) },
    plannableMinerW, settledMinerW, settledEstimateW, pendingShedW, excluded, excludedW, exclusionKey, zones, zoneDraws,
    economics: economicsAt(state, now), jobs, offTarget, whatIf: whatIf.capW !== undefined || whatIf.gpusAtMax === true,
  };
}

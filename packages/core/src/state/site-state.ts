import type {
  ContractRecord, DesiredState, DeviceInventory, DeviceOverride, DeviceReading, EnergyPriceRecord, GridEventRecord, JobRecord, PriorityClass,
} from '@wattbroker/contracts';
import { initialStrike, type StrikeState } from '../economics/strike-filter.js';
import { DEFAULT_PRIORITIES } from '../policy/policy.js';
import type { CoolingModel } from '../site/site-model.js';

/**
 * The site as the scheduler knows it: plain data, changed only by the reducers in this folder
 * (registration, telemetry, results, settings, jobs) and by committing a plan. The reducers
 * update records in place: copying a 10,000-device site on every telemetry batch would cost
 * more than the control step itself. Nothing here does I/O or reads a clock; every reducer is
 * given the time. Types of what crosses a process boundary come from @wattbroker/contracts.
 */
export interface HostState {
  readonly id: string;
  kind: 'asic' | 'gpu';
  overheadW: number;
  lastSeen: number;
  deviceIds: readonly string[];
}

export interface DeviceState {
  readonly id: string;
  hostId: string;
  inv: DeviceInventory;
  /** Miners: table draw per profile name and the table's extremes; GPUs: the limit range. */
  rowW: ReadonlyMap<string, number>;
  minRowW: number;
  maxRowW: number;
  reading: DeviceReading | undefined;
  /**
   * Miners: the table row (W) of the profile the latest reading shows, 0 when it shows none
   * or one the table lacks. Looked up once per reading (device-draws.ts `readingRow`), read
   * every step: a lookup in each miner's own map, 2,000 times a step, was a tenth of a backtest.
   */
  readingRowW: number;
  /** When the latest reachable reading arrived. */
  readingAt: number;
  /** The target held for the device, and the command that last carried it. */
  desired: DesiredState | undefined;
  commandId: string | undefined;
  /** When the target was last sent and last changed; when the agent reported it applied. */
  sentAt: number;
  changedAt: number;
  appliedAt: number;
  /**
   * The highest draw of any target commanded since the device last showed one reached: it may
   * be anywhere between them until a reading says where (a shed commanded right after a raise
   * does not undo the raise until the device confirms).
   */
  peakW: number;
  /** Re-commands sent in the current off-target episode (0 when on target). */
  resends: number;
  /** When the current off-target episode began. */
  offTargetSince: number | undefined;
  /** Miners: learned real draw ÷ table estimate, and the value the planner plans with. */
  bias: number;
  plannedBias: number;
}

export interface SiteState {
  contract: ContractRecord;
  cooling: CoolingModel;
  readonly hosts: Map<string, HostState>;
  readonly devices: Map<string, DeviceState>;
  /** Devices in registration order: the order snapshots index them by. */
  readonly deviceList: DeviceState[];
  /** Jobs not yet finished (finished ones live in the store only). */
  readonly jobs: Map<string, JobRecord>;
  /** GPU id → the admitting or running job that holds it. */
  readonly gpuHolder: Map<string, string>;
  gridEvents: readonly GridEventRecord[];
  energyPrice: EnergyPriceRecord | undefined;
  hashprice: number | undefined;
  strike: StrikeState;
  readonly overrides: Map<string, DeviceOverride>;
  priorities: readonly PriorityClass[];
  /** The site meter's latest reading at the point of connection, if the site has one. */
  meter: { powerW: number; at: number } | undefined;
  /**
   * Learned difference between the meter and the model (site = IT + cooling): what the
   * cooling/overhead model misses (W). Added to the modelled site power everywhere.
   */
  overheadCorrectionW: number;
  /** Bumped whenever what the miner planner is built on changes (tables, learned draws, overrides, priorities). */
  fleetVersion: number;
  /** Miners whose learned draw has moved from the one the plan takes (state/learned-draws.ts), and when the plan last took some. */
  readonly drawsToTake: Set<DeviceState>;
  drawsTakenAt: number;
  /**
   * Devices whose record a reducer wrote since the last snapshot (telemetry, a command's
   * result, a commit, a registration, a learned draw taken): the snapshot works their rows
   * out again and keeps the others' (snapshot/device-rows.ts). Whatever writes a device
   * record adds the device here.
   */
  readonly touched: Set<DeviceState>;
  /** Control steps committed (command ids are built from it). */
  stepSeq: number;
}

export function createSiteState(init: { contract: ContractRecord; cooling: CoolingModel; priorities?: readonly PriorityClass[] }): SiteState {
  return {
    contract: { ...init.contract },
    cooling: { ...init.cooling },
    hosts: new Map(),
    devices: new Map(),
    deviceList: [],
    jobs: new Map(),
    gpuHolder: new Map(),
    gridEvents: [],
    energyPrice: undefined,
    hashprice: undefined,
    strike: initialStrike(),
    overrides: new Map(),
    priorities: init.priorities ?? DEFAULT_PRIORITIES,
    meter: undefined,
    overheadCorrectionW: 0,
    fleetVersion: 0,
    drawsToTake: new Set(),
    drawsTakenAt: Number.NEGATIVE_INFINITY,
    touched: new Set(),
    stepSeq: 0,
  };
}

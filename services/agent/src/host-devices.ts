import type { DesiredState, DeviceInventory, DeviceReading, DeviceResult } from '@wattbroker/contracts';

/**
 * What an agent needs from the devices of its host, whatever they are. ASIC hosts and GPU
 * hosts implement it; the agent shell (agent.ts) does the bus work around it.
 */
export interface HostDevices {
  /** Inventory for registration; devices that cannot be read yet are left out. */
  inventory(): Promise<DeviceInventory[]>;
  /** One reading per device (unreachable devices marked so). */
  read(): Promise<DeviceReading[]>;
  /** Apply desired states idempotently; one result per device. */
  apply(desired: Record<string, DesiredState>): Promise<Record<string, DeviceResult>>;
  /**
   * Apply only the targets that lower a device's power (a pre-armed grid shed executed by
   * the agent on its own must never raise anything). Hosts without miners ignore it.
   */
  applyIfLower?(desired: Record<string, DesiredState>): Promise<Record<string, DeviceResult>>;
  /** Jobs that ended since the last call (GPU hosts). */
  onJobEnd?(listener: (jobId: string, ok: boolean, error?: string) => void): void;
  close(): Promise<void>;
}

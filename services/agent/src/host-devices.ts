import type { DesiredState, DeviceInventory, DeviceReading, DeviceResult } from '@wattbroker/contracts';

/**
 * What an agent needs from the devices of its host, whatever they are. ASIC hosts and GPU
 * hosts implement it; the agent shell (agent.ts) does the bus work around it.
 */
export interface HostDevices {
  /** Inventory for registration; devices that cannot be read yet are left out. */
  inventory(): Promise<DeviceInventory[]>;
  /** One reading per device (unreachable devices marked so): all, or those of `ids` on this host. */
  read(ids?: readonly string[]): Promise<DeviceReading[]>;
  /**
   * Apply desired states idempotently; one result per device. `current(id)`, when given,
   * says whether this command is still the newest for a device (hosts that apply commands
   * concurrently skip devices a newer command has taken over).
   */
  apply(desired: Record<string, DesiredState>, current?: (id: string) => boolean): Promise<Record<string, DeviceResult>>;
  /**
   * True when commands may be applied concurrently (the host orders writes per device and
   * honours `current`): a grid shed then never waits for an earlier command to finish.
   * Otherwise the agent applies one command at a time, in order.
   */
  readonly concurrentCommands?: boolean;
  /**
   * Apply only the targets that lower a device's power (a pre-armed grid shed executed by
   * the agent on its own must never raise anything). Hosts without miners ignore it.
   */
  applyIfLower?(desired: Record<string, DesiredState>): Promise<Record<string, DeviceResult>>;
  /** Jobs that ended since the last call (GPU hosts). */
  onJobEnd?(listener: (jobId: string, ok: boolean, error?: string) => void): void;
  close(): Promise<void>;
}

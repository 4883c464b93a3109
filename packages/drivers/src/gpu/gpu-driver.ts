/**
 * GPUs as an agent sees them: read power and limits, set a power limit. The limit is what
 * makes a reservation hold (DESIGN rule 3, docs/design.md): the card enforces it within about
 * a second, so a burst inside a job cannot exceed what was admitted.
 */
export interface GpuReading {
  index: number;
  name: string;
  powerW: number;
  powerLimitW: number;
  minLimitW: number;
  maxLimitW: number;
  utilizationPct: number;
}

export interface GpuDriver {
  read(): Promise<GpuReading[]>;
  setPowerLimit(index: number, watts: number): Promise<void>;
  /**
   * Tell the driver whether a job is running on the card. Real cards need no telling (the
   * workload loads them); emulated cards draw accordingly.
   */
  setBusy?(index: number, busy: boolean): Promise<void>;
}

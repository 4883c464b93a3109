import { mulberry32, seedFrom, type GpuModel } from '@wattbroker/core';

/** A new power limit is enforced this many simulated seconds after it is set (real cards: within about a second). */
export const LIMIT_ENFORCE_S = 1;
/** Inference load changes every this many simulated seconds. */
export const LOAD_SEGMENT_S = 0.5;

export interface GpuClock {
  /** Simulated seconds since the emulator started (wall time × speed). */
  simNow(): number;
}

/** What `nvidia-smi` would show for one card, plus what only the emulator knows. */
export interface GpuTruth {
  index: number;
  name: string;
  powerW: number;
  /** The limit as set (what `nvidia-smi` reports at once). */
  powerLimitW: number;
  /** The limit the card enforces now: the set one, from 1 simulated second after it was set. */
  enforcedLimitW: number;
  minLimitW: number;
  maxLimitW: number;
  utilizationPct: number;
  busy: boolean;
}

/**
 * One emulated GPU. Idle, it draws its idle power. Busy (a job runs on it), LLM inference
 * is bursty: in 35 % of half-second segments prompt processing takes the card to its limit,
 * otherwise decode draws 20–45 % of the board's range; the draw never exceeds the enforced
 * limit. A segment's load depends only on the seed, the card and the segment, so two reads
 * at the same instant (the truth endpoint and the meter) agree.
 */
export class EmulatedGpu {
  private setW: number;
  private enforcedW: number;
  private pending: { watts: number; atS: number } | undefined;
  private busyFlag = false;

  constructor(
    readonly model: GpuModel,
    readonly index: number,
    private readonly seed: number,
    private readonly clock: GpuClock,
  ) {
    this.setW = model.maxLimitW;
    this.enforcedW = model.maxLimitW;
  }

  /** Set the power limit, as `nvidia-smi -i N -pl W` does; a RangeError outside the card's range. */
  setPowerLimit(watts: number): void {
    const { minLimitW, maxLimitW, name } = this.model;
    if (!Number.isFinite(watts) || watts < minLimitW || watts > maxLimitW) {
      throw new RangeError(`${watts} W is outside ${minLimitW}..${maxLimitW} W for GPU ${this.index} (${name})`);
    }
    this.advance();
    this.setW = watts;
    this.pending = { watts, atS: this.clock.simNow() + LIMIT_ENFORCE_S };
  }

  setBusy(busy: boolean): void {
    this.busyFlag = busy;
  }

  get busy(): boolean {
    return this.busyFlag;
  }

  truth(): GpuTruth {
    this.advance();
    const m = this.model;
    const load = this.busyFlag ? this.loadAt(this.clock.simNow()) : 0;
    const powerW = this.busyFlag ? Math.min(this.enforcedW, m.idleW + load * (m.maxLimitW - m.idleW)) : m.idleW;
    return {
      index: this.index, name: m.name, powerW: Math.round(powerW * 10) / 10, powerLimitW: this.setW, enforcedLimitW: this.enforcedW,
      minLimitW: m.minLimitW, maxLimitW: m.maxLimitW, utilizationPct: Math.round(load * 100), busy: this.busyFlag,
    };
  }

  private advance(): void {
    if (this.pending && this.clock.simNow() >= this.pending.atS) {
      this.enforcedW = this.pending.watts;
      this.pending = undefined;
    }
  }

  private loadAt(simS: number): number {
    const rng = mulberry32(seedFrom('gpu', this.seed, this.index, Math.floor(simS / LOAD_SEGMENT_S)));
    return rng() < 0.35 ? 1 : 0.2 + 0.25 * rng();
  }
}

import { estimatePowerW, gaussian, mulberry32, seedFrom, type AsicUnit, type Rng } from '@wattbroker/core';

/**
 * The physical side of one emulated miner, in simulated seconds. Pure apart from its own
 * seeded noise: the caller supplies the time, so tests can drive it directly and the
 * server scales wall time by `--speed`.
 *
 * What it models (vendor figures and LuxOS behaviour; see docs/design.md, "Hardware figures",
 * and docs/miner-sim.md):
 * - a profile change ramps 5 MHz (and 0.05 V) per tick toward the target; `ramping` meanwhile;
 * - power and hashrate follow the actual frequency and voltage; the true draw is the LuxOS
 *   estimate times the unit's bias (±10 %), the reported draw adds ~0.5 % noise;
 * - sleep: hashboards and PSU off, draw falls to ~25 W within ~5 s;
 * - wake: a boot (control board and fans, then boards come up at the lowest profile and ramp
 *   to the target), or with `unsafe` a short boot and a jump straight to the target;
 * - hashrate averages (5 s … 24 h) lag as exponential moving averages; share counters grow
 *   with hashrate at the pool difficulty.
 */
export interface PhysicsOptions {
  /** Simulated seconds per 5 MHz ramp step. @defaultValue 0.5 */
  readonly tickS?: number;
  /** Safe wake: seconds of boot before the boards start. @defaultValue 45 */
  readonly bootS?: number;
  /** Unsafe wake: seconds before the boards jump to the target. @defaultValue 3 */
  readonly unsafeBootS?: number;
  /** Time constant of the fall to sleep draw. @defaultValue 1 */
  readonly sleepTauS?: number;
}

export type Mode = 'mining' | 'sleeping' | 'waking';

export const HASHRATE_WINDOWS_S = { '5s': 5, '1m': 60, '5m': 300, '15m': 900, '30m': 1800, '60m': 3600, '24h': 86400 } as const;
export type HashWindow = keyof typeof HASHRATE_WINDOWS_S;

const FREQ_STEP = 5;
const VOLT_STEP = 0.05;
const BOOT_DRAW_W = 60;
const SHARE_DIFFICULTY = 32768;

export class MinerPhysics {
  readonly unit: AsicUnit;
  private readonly rng: Rng;
  private readonly tickS: number;
  private readonly bootS: number;
  private readonly unsafeBootS: number;
  private readonly sleepTauS: number;
  private readonly thsPerMHz: number;

  /** Index into unit.profiles of the target profile. */
  targetIndex: number;
  mode: Mode = 'mining';
  private modeSince = 0;
  private unsafeWake = false;
  frequencyMHz: number;
  voltageV: number;
  /** True wall draw. */
  powerW: number;
  temperatureC = 47;
  /** Instantaneous hashrate (TH/s) over the last step. */
  hashrateThs = 0;
  readonly averageThs: Record<HashWindow, number>;
  elapsedS = 0;
  totalTh = 0;
  accepted = 0;
  rejected = 0;
  private rampCredit = 0;
  private now = 0;

  constructor(unit: AsicUnit, seed: number, initialProfile = 'default', opts: PhysicsOptions = {}) {
    this.unit = unit;
    this.rng = mulberry32(seedFrom(seed, unit.id, 'physics'));
    this.tickS = opts.tickS ?? 0.5;
    this.bootS = opts.bootS ?? 45;
    this.unsafeBootS = opts.unsafeBootS ?? 3;
    this.sleepTauS = opts.sleepTauS ?? 1;
    this.thsPerMHz = unit.model.nominalThs / unit.model.defaultMHz;
    const idx = unit.profiles.findIndex((p) => p.name === initialProfile);
    this.targetIndex = idx >= 0 ? idx : unit.profiles.findIndex((p) => p.step === 0);
    const target = this.target;
    this.frequencyMHz = target.frequencyMHz;
    this.voltageV = target.voltageV;
    this.powerW = this.miningDrawW();
    this.hashrateThs = this.frequencyMHz * this.thsPerMHz;
    // Start as if it had been mining for an hour at this profile: averages settled.
    this.averageThs = Object.fromEntries(Object.keys(HASHRATE_WINDOWS_S).map((k) => [k, this.hashrateThs])) as Record<HashWindow, number>;
    this.elapsedS = 3600;
    this.totalTh = this.hashrateThs * 3600;
    this.accepted = Math.round(this.shareRate() * 3600);
    this.temperatureC = this.equilibriumTemp();
  }

  get target() {
    return this.unit.profiles[this.targetIndex]!;
  }

  get ramping(): boolean {
    return this.mode === 'mining' && (this.frequencyMHz !== this.target.frequencyMHz || Math.abs(this.voltageV - this.target.voltageV) > 1e-9);
  }

  /** The draw a reading reports: the truth plus meter noise. */
  reportedPowerW(): number {
    return Math.max(0, Math.round(this.powerW * (1 + 0.005 * gaussian(this.rng))));
  }

  setTarget(index: number): void {
    this.targetIndex = index;
  }

  sleep(): void {
    if (this.mode === 'sleeping') return;
    this.mode = 'sleeping';
    this.modeSince = this.now;
  }

  wake(unsafe: boolean): void {
    if (this.mode !== 'sleeping') return;
    this.mode = 'waking';
    this.modeSince = this.now;
    this.unsafeWake = unsafe;
  }

  /** Advance the simulation to `t` (simulated seconds since start). */
  advanceTo(t: number): void {
    let remaining = t - this.now;
    if (remaining <= 0) return;
    // Steady states (mining at the target, asleep) have closed forms: one step is exact
    // (constant inputs into exponential averages) and keeps a large fleet cheap to poll.
    // Otherwise at most 600 sub-steps, at least 0.25 s resolution when it matters.
    const steady = (this.mode === 'mining' && !this.ramping) || this.mode === 'sleeping';
    const h0 = steady ? remaining : Math.max(0.25, remaining / 600);
    while (remaining > 1e-9) {
      const h = Math.min(h0, remaining);
      this.step(h);
      remaining -= h;
    }
  }

  private step(h: number): void {
    this.now += h;
    this.elapsedS += h;
    if (this.mode === 'waking') {
      const boot = this.unsafeWake ? this.unsafeBootS : this.bootS;
      if (this.now - this.modeSince >= boot) {
        this.mode = 'mining';
        const start = this.unsafeWake ? this.target : this.unit.profiles[0]!;
        this.frequencyMHz = start.frequencyMHz;
        this.voltageV = start.voltageV;
        this.rampCredit = 0;
      }
    }
    if (this.mode === 'mining') {
      this.rampCredit += h / this.tickS;
      while (this.rampCredit >= 1 && this.ramping) {
        this.frequencyMHz += Math.sign(this.target.frequencyMHz - this.frequencyMHz) * Math.min(FREQ_STEP, Math.abs(this.target.frequencyMHz - this.frequencyMHz));
        const dv = this.target.voltageV - this.voltageV;
        this.voltageV = Math.abs(dv) <= VOLT_STEP ? this.target.voltageV : Math.round((this.voltageV + Math.sign(dv) * VOLT_STEP) * 100) / 100;
        this.rampCredit -= 1;
      }
      if (!this.ramping) this.rampCredit = 0;
      this.powerW = this.miningDrawW();
      this.hashrateThs = Math.max(0, this.frequencyMHz * this.thsPerMHz * (1 + 0.01 * gaussian(this.rng)));
    } else if (this.mode === 'sleeping') {
      this.frequencyMHz = 0;
      this.hashrateThs = 0;
      this.powerW = this.unit.sleepW + (this.powerW - this.unit.sleepW) * Math.exp(-h / this.sleepTauS);
    } else {
      this.frequencyMHz = 0;
      this.hashrateThs = 0;
      this.powerW = BOOT_DRAW_W;
    }
    for (const [k, w] of Object.entries(HASHRATE_WINDOWS_S) as Array<[HashWindow, number]>) {
      this.averageThs[k] += (this.hashrateThs - this.averageThs[k]) * (1 - Math.exp(-h / w));
    }
    this.totalTh += this.hashrateThs * h;
    const shares = this.shareRate() * h;
    this.accepted += shares;
    this.rejected += shares * 0.0007;
    this.temperatureC += (this.equilibriumTemp() - this.temperatureC) * (1 - Math.exp(-h / 60));
  }

  private miningDrawW(): number {
    return estimatePowerW(this.unit.model, this.frequencyMHz, this.voltageV) * this.unit.powerBias;
  }

  private shareRate(): number {
    return (this.hashrateThs * 1e12) / (SHARE_DIFFICULTY * 2 ** 32);
  }

  private equilibriumTemp(): number {
    return this.mode === 'mining' ? 30 + (15 * this.powerW) / 1000 : 25;
  }
}

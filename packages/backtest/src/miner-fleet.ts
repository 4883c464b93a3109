import { MinerPhysics } from '@wattbroker/miner-sim';
import type { SimSite } from './site.js';

/**
 * The site's miners as the emulator's physics (ramps, sleep and wake, the silicon lottery),
 * one per unit of the site (index = position in `site.units`), with what they draw and hash
 * in all kept as running sums: a sample a second reads the sums, not 100,000 miners.
 * A miner is advanced to the physics clock only when something looks at it (its agent reads
 * it, a write reaches it, a sample while it moves): a steady miner costs nothing.
 */
export class MinerFleet {
  readonly physics: readonly MinerPhysics[];
  /** Hashrate per MHz of each miner's model (a miner hashes in proportion to its frequency). */
  private readonly thsPerMHz: Float64Array;
  private readonly powerW: Float64Array;
  private readonly hashThs: Float64Array;
  private sumW = 0;
  private sumThs = 0;

  /** `profiles[i]`: the profile miner i starts at ('sleep': asleep, at its default profile). */
  constructor(site: SimSite, profiles: readonly string[]) {
    const ph = site.physics;
    const units = site.units;
    this.physics = units.map((u, i) => {
      const profile = profiles[i]!;
      const m = new MinerPhysics(u, site.seed, profile === 'sleep' ? 'default' : profile, { tickS: ph.tickS, bootS: ph.bootS, unsafeBootS: ph.unsafeBootS, sleepTauS: ph.sleepTauS });
      if (profile === 'sleep') m.sleep();
      return m;
    });
    this.thsPerMHz = Float64Array.from(units, (u) => u.model.nominalThs / u.model.defaultMHz);
    this.powerW = new Float64Array(units.length);
    this.hashThs = new Float64Array(units.length);
    for (let i = 0; i < units.length; i++) this.refresh(i);
  }

  get length(): number {
    return this.physics.length;
  }

  /** What the miners draw (W) and hash (TH/s) in all, as of their last advance. */
  get drawW(): number {
    return this.sumW;
  }

  get hashrateThs(): number {
    return this.sumThs;
  }

  /** Miner i's physics brought to `physS` (seconds of the physics clock). */
  advance(i: number, physS: number): MinerPhysics {
    const ph = this.physics[i]!;
    ph.advanceTo(physS);
    this.refresh(i);
    return ph;
  }

  /** Sum every miner again (running sums of floats drift; call it now and then). */
  resum(): void {
    this.sumW = 0;
    this.sumThs = 0;
    for (let i = 0; i < this.powerW.length; i++) {
      this.sumW += this.powerW[i]!;
      this.sumThs += this.hashThs[i]!;
    }
  }

  private refresh(i: number): void {
    const ph = this.physics[i]!;
    const w = ph.powerW;
    const ths = ph.mode === 'mining' ? ph.frequencyMHz * this.thsPerMHz[i]! : 0;
    this.sumW += w - this.powerW[i]!;
    this.sumThs += ths - this.hashThs[i]!;
    this.powerW[i] = w;
    this.hashThs[i] = ths;
  }
}

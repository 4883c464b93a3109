/**
 * Strike hysteresis for prices: the value the planner uses moves only after the observed
 * price has stayed beyond a dead band around it for `intervals` observations in a row, in
 * the same direction. A noisy price that flickers across a miner's breakeven therefore does
 * not switch the miner on and off every interval (hashboards wear, and each wake costs
 * minutes of lost hashrate).
 */
export class StrikeFilter {
  private value: number | undefined;
  private up = 0;
  private down = 0;

  constructor(
    readonly intervals = 3,
    readonly deadband = 0.02,
  ) {
    if (!Number.isInteger(intervals) || intervals < 1) throw new RangeError('intervals: a whole number ≥ 1');
    if (!(deadband >= 0)) throw new RangeError('deadband: a fraction ≥ 0');
  }

  /** The value in force (undefined before the first observation). */
  get effective(): number | undefined {
    return this.value;
  }

  /** Feed one observation (one price interval); returns the value in force after it. */
  observe(price: number): number {
    if (this.value === undefined) {
      this.value = price;
      return price;
    }
    if (price > this.value * (1 + this.deadband)) {
      this.up++;
      this.down = 0;
    } else if (price < this.value * (1 - this.deadband)) {
      this.down++;
      this.up = 0;
    } else {
      this.up = 0;
      this.down = 0;
    }
    if (this.up >= this.intervals || this.down >= this.intervals) {
      this.value = price;
      this.up = 0;
      this.down = 0;
    }
    return this.value;
  }

  /** Forget the history (a price source replaced by another). */
  reset(): void {
    this.value = undefined;
    this.up = 0;
    this.down = 0;
  }
}

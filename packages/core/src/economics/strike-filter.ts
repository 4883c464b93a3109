/**
 * Strike hysteresis for prices: the value the planner uses moves only after the observed
 * price has stayed beyond a dead band around it for `intervals` observations in a row, in
 * the same direction. A noisy price that flickers across a miner's breakeven therefore does
 * not switch the miner on and off every interval (hashboards wear, and each wake costs
 * minutes of lost hashrate). Pure: the state is plain data kept in the site state.
 */
export interface StrikeState {
  /** The value in force (undefined before the first observation). */
  readonly value: number | undefined;
  readonly up: number;
  readonly down: number;
  /** The observation last counted (a price interval's key), so each interval counts once. */
  readonly lastKey: string | undefined;
}

export function initialStrike(): StrikeState {
  return { value: undefined, up: 0, down: 0, lastKey: undefined };
}

/** One observation (one price interval) → the state after it. */
export function strikeObserve(s: StrikeState, price: number, intervals = 3, deadband = 0.02, key?: string): StrikeState {
  if (!Number.isInteger(intervals) || intervals < 1) throw new RangeError('intervals: a whole number ≥ 1');
  if (!(deadband >= 0)) throw new RangeError('deadband: a fraction ≥ 0');
  if (s.value === undefined) return { value: price, up: 0, down: 0, lastKey: key };
  let up = 0;
  let down = 0;
  if (price > s.value * (1 + deadband)) up = s.up + 1;
  else if (price < s.value * (1 - deadband)) down = s.down + 1;
  if (up >= intervals || down >= intervals) return { value: price, up: 0, down: 0, lastKey: key };
  return { value: s.value, up, down, lastKey: key };
}

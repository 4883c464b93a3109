import type { DeviceOverride } from '@wattbroker/contracts';
import type { ReconcilePolicy } from '../policy/policy.js';
import type { DeviceState } from '../state/site-state.js';
import { IN_TRANSITION, OFF_TARGET, deviceStatus, worstCaseW } from './device-status.js';

/** Objects and numbers a device's status and budgeted draw are derived from, per device. */
const REFS = 6;
const NUMS = 6;

/**
 * Each device's status and budgeted draw (device-status.ts) as last derived, kept while
 * nothing they are derived from has changed. Most devices are on target and untouched
 * between two steps, and deriving them again was most of a snapshot (~200 ns a device: at
 * 10,000 miners 2.4 ms of a step whose readings alone take 0.2 ms to sum).
 *
 * An entry stands while the device has the same reading, target, inventory and override
 * objects (the reducers replace these, never edit them in place), the same command and
 * command times, re-commands, peak and learned bias, and its host is as live as it was.
 * Statuses that time alone changes are never kept: in transition (it runs out), and off
 * target for want of getting there (it was in transition at an earlier time).
 */
export class StatusMemo {
  private refs: unknown[] = [];
  private nums = new Float64Array(0);
  /** 0: no entry; 1: entry for a dead host; 2: for a live one. */
  private kept = new Uint8Array(0);
  private status = new Uint8Array(0);
  private worstW = new Float64Array(0);

  constructor(readonly rc: ReconcilePolicy) {}

  /** Device `i` of the list: its status into `status[i]`, its budgeted draw into `worstW[i]`. */
  derive(i: number, d: DeviceState, live: boolean, override: DeviceOverride | undefined, now: number, status: Uint8Array, worstW: Float64Array): void {
    if (i >= this.kept.length) this.grow(i + 1);
    const refs = this.refs;
    const nums = this.nums;
    const r = REFS * i;
    const x = NUMS * i;
    if (this.kept[i] === (live ? 2 : 1)
      && refs[r] === d && refs[r + 1] === d.reading && refs[r + 2] === d.desired && refs[r + 3] === d.inv && refs[r + 4] === override && refs[r + 5] === d.commandId
      && nums[x] === d.appliedAt && nums[x + 1] === d.sentAt && nums[x + 2] === d.readingAt && nums[x + 3] === d.resends && nums[x + 4] === d.peakW && nums[x + 5] === d.bias) {
      status[i] = this.status[i]!;
      worstW[i] = this.worstW[i]!;
      return;
    }
    const s = deviceStatus(d, live, override, this.rc, now);
    const w = worstCaseW(d, s);
    status[i] = s;
    worstW[i] = w;
    if (s === IN_TRANSITION || (s === OFF_TARGET && d.resends === 0)) {
      this.kept[i] = 0;
      return;
    }
    this.kept[i] = live ? 2 : 1;
    this.status[i] = s;
    this.worstW[i] = w;
    refs[r] = d;
    refs[r + 1] = d.reading;
    refs[r + 2] = d.desired;
    refs[r + 3] = d.inv;
    refs[r + 4] = override;
    refs[r + 5] = d.commandId;
    nums[x] = d.appliedAt;
    nums[x + 1] = d.sentAt;
    nums[x + 2] = d.readingAt;
    nums[x + 3] = d.resends;
    nums[x + 4] = d.peakW;
    nums[x + 5] = d.bias;
  }

  private grow(n: number): void {
    const size = Math.max(n, 2 * this.kept.length, 64);
    const grown = <T extends Uint8Array | Float64Array>(a: T, make: (k: number) => T, per: number): T => {
      const b = make(size * per);
      b.set(a);
      return b;
    };
    this.kept = grown(this.kept, (k) => new Uint8Array(k), 1);
    this.status = grown(this.status, (k) => new Uint8Array(k), 1);
    this.worstW = grown(this.worstW, (k) => new Float64Array(k), 1);
    this.nums = grown(this.nums, (k) => new Float64Array(k), NUMS);
    const refs: unknown[] = new Array(size * REFS).fill(undefined);
    for (let k = 0; k < this.refs.length; k++) refs[k] = this.refs[k];
    this.refs = refs;
  }
}

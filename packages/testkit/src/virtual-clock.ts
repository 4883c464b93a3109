/**
 * A clock that moves only when told, for running the scheduler's loops in a test: timers
 * registered with `setInterval` fire as `advance` passes their due times, in order. Matches
 * the scheduler's `Clock` port.
 */
export class VirtualClock {
  private t: number;
  private nextId = 1;
  private readonly timers = new Map<number, { fn: () => void; every: number; due: number }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setInterval(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { fn, every: Math.max(1, ms), due: this.t + Math.max(1, ms) });
    return id;
  }

  clearInterval(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /**
   * Move time forward by `ms`, firing due timers in time order. Between firings the event
   * loop gets a turn (`settle`), so the I/O a timer started (Redis, queues) can complete as it
   * would in real time.
   */
  async advance(ms: number, settle: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      let next: { id: number; due: number } | undefined;
      for (const [id, x] of this.timers) if (x.due <= end && (!next || x.due < next.due)) next = { id, due: x.due };
      if (!next) break;
      const timer = this.timers.get(next.id)!;
      this.t = timer.due;
      timer.due += timer.every;
      timer.fn();
      await settle();
    }
    this.t = end;
  }
}

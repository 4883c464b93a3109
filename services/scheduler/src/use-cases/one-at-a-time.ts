/** Too many tasks waiting already: the caller should come back later (REST: 503 with Retry-After). */
export class BusyError extends Error {
  constructor(readonly what: string) {
    super(`${what}: busy; retry shortly`);
    this.name = 'BusyError';
  }
}

/**
 * Runs tasks one at a time, in arrival order, with at most `maxWaiting` waiting: heavy reads
 * (compliance reports) cannot pile up on the process that runs the control loop.
 */
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly maxWaiting: number, private readonly what = 'reports') {}

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.waiting >= this.maxWaiting) return Promise.reject(new BusyError(this.what));
    this.waiting++;
    const result = this.tail.then(() => {
      this.waiting--;
      return task();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}

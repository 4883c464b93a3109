/**
 * At most `limit` device exchanges in flight for a whole host, with two lanes: writes go
 * before reads. A telemetry round of hundreds of miners must not make a grid shed wait
 * behind it for connection slots; reads resume as soon as the writes have drained.
 */
export class Limiter {
  private active = 0;
  private readonly urgent: (() => void)[] = [];
  private readonly normal: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>, lane: 'write' | 'read' = 'read'): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => (lane === 'write' ? this.urgent : this.normal).push(resolve));
    } else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter (writes first), or free it.
      const next = this.urgent.shift() ?? this.normal.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** `fn` over every item through the limiter; results in input order. */
  map<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, lane: 'write' | 'read' = 'read'): Promise<R[]> {
    return Promise.all(items.map((item) => this.run(() => fn(item), lane)));
  }
}

/**
 * The virtual clock's agenda: a binary heap of (time, insertion order) → action. Events at the
 * same time run in the order they were scheduled, so a run is deterministic.
 */
export class EventQueue {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly actions: Array<() => void> = [];
  private seq = 0;

  get size(): number {
    return this.times.length;
  }

  peekTime(): number {
    return this.times.length ? this.times[0]! : Number.POSITIVE_INFINITY;
  }

  push(t: number, action: () => void): void {
    const { times, seqs, actions } = this;
    let i = times.length;
    times.push(t);
    seqs.push(this.seq++);
    actions.push(action);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): () => void {
    const { times, seqs, actions } = this;
    const top = actions[0]!;
    const last = times.length - 1;
    this.swap(0, last);
    times.pop();
    seqs.pop();
    actions.pop();
    let i = 0;
    const n = times.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.seqs[a]! < this.seqs[b]!);
  }

  private swap(a: number, b: number): void {
    const { times, seqs, actions } = this;
    [times[a], times[b]] = [times[b]!, times[a]!];
    [seqs[a], seqs[b]] = [seqs[b]!, seqs[a]!];
    [actions[a], actions[b]] = [actions[b]!, actions[a]!];
  }
}

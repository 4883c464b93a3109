/** A scrape in Prometheus text format: sample values by `name{labels}`, and the families by `# TYPE`. */
export interface Scrape {
  readonly samples: Map<string, number>;
  readonly types: Map<string, string>;
  /** Sum of the samples of `name` whose labels include every `label="value"` of `match`. */
  sum(name: string, match?: Record<string, string>): number;
  has(name: string): boolean;
}

export function parsePrometheusText(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return {
    samples, types,
    sum(name, match = {}) {
      let total = 0;
      for (const [key, v] of samples) {
        const [n, labels = ''] = key.split('{', 2) as [string, string?];
        if (n !== name) continue;
        if (Object.entries(match).every(([k, val]) => labels.includes(`${k}="${val}"`))) total += v;
      }
      return total;
    },
    has(name) {
      return [...samples.keys()].some((k) => k === name || k.startsWith(`${name}{`));
    },
  };
}

/** The metric families a PromQL expression names (histogram series mapped to their family). */
export function seriesNamed(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(wattbroker_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, '')))];
}

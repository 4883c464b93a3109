import { CliError, EXIT } from '../cli-error.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `10m`, `1h30m`, `2d`, or a bare number of seconds → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) {
    throw new CliError(`${flag}: expected a duration such as 60s, 10m, 1h30m; got "${text}"`, EXIT.usage);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}

/** A number flag, checked here so that the error names the flag. */
export function parseNumber(text: string, flag: string, o: { integer?: boolean; min?: number } = {}): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (o.integer && !Number.isInteger(n)) || (o.min !== undefined && n < o.min)) {
    throw new CliError(`${flag}: expected ${o.integer ? 'an integer' : 'a number'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}, got "${text}"`, EXIT.usage);
  }
  return n;
}

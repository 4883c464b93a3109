/**
 * JSON with every object's keys sorted: two reads of the same Redis hash compare equal
 * whatever order HGETALL gave (it changes as Redis rehashes a hash, with no write at all).
 */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
}

/**
 * Faults an emulated miner can show on demand (flag at start, or at run time through the
 * truth endpoint). Each mirrors something seen on real sites.
 */
export interface Faults {
  /** Delay every reply by this many ms. */
  slowMs: number;
  /** Reply without the trailing NUL (the client must stop at EOF). */
  noNul: boolean;
  /** Send reply + NUL but keep the socket open (the client must stop at the NUL). */
  noClose: boolean;
  /** Stop listening: connections are refused. */
  refuse: boolean;
  /** Send the first half of the reply, then close. */
  truncate: boolean;
  /** Send bytes that are not JSON. */
  garble: boolean;
  /** The cgminer quirk: adjacent objects printed as `}{` without a comma. */
  quirk: boolean;
  /** A firmware bug: `curtail wakeup` answers success but the miner stays asleep. */
  stuckAsleep: boolean;
  /** The miner drops off: connections are accepted and never answered. */
  drop: boolean;
}

export const NO_FAULTS: Faults = {
  slowMs: 0, noNul: false, noClose: false, refuse: false, truncate: false, garble: false, quirk: false,
  stuckAsleep: false, drop: false,
};

export const FAULT_NAMES = Object.keys(NO_FAULTS) as Array<keyof Faults>;

/**
 * Parse `name` or `name=value` (`slowMs=2000`, `stuckAsleep`, `refuse=false`) into a patch.
 * Throws a RangeError naming the fault when it is unknown or its value does not fit.
 */
export function parseFault(spec: string): Partial<Faults> {
  const [name, raw] = spec.split('=', 2) as [string, string | undefined];
  if (!(FAULT_NAMES as string[]).includes(name)) {
    throw new RangeError(`unknown fault "${name}" (known: ${FAULT_NAMES.join(', ')})`);
  }
  const key = name as keyof Faults;
  if (key === 'slowMs') {
    const ms = Number(raw ?? 2000);
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`fault slowMs: expected milliseconds ≥ 0, got "${raw}"`);
    return { slowMs: ms };
  }
  if (raw !== undefined && raw !== 'true' && raw !== 'false') throw new RangeError(`fault ${key}: expected true or false, got "${raw}"`);
  return { [key]: raw !== 'false' } as Partial<Faults>;
}

/** Typed driver errors, so callers decide on kind, not on message text. */
export type LuxosErrorKind = 'unreachable' | 'timeout' | 'protocol' | 'refused';

export class LuxosError extends Error {
  constructor(
    readonly kind: LuxosErrorKind,
    message: string,
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super(`${address}: ${message}`, options);
    this.name = 'LuxosError';
  }

  /** Worth another try: the miner may answer next time. Refusals are final. */
  get retryable(): boolean {
    return this.kind !== 'refused';
  }
}

/** The miner answered with STATUS E/F: it understood and said no. */
export class MinerRefusedError extends LuxosError {
  constructor(
    address: string,
    readonly command: string,
    readonly code: number,
    readonly msg: string,
  ) {
    super('refused', `${command} refused by miner (code ${code}): ${msg}`, address);
    this.name = 'MinerRefusedError';
  }
}

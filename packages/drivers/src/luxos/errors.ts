/** Typed driver errors, so callers decide on kind, not on message text. */
export type LuxosErrorKind = 'unreachable' | 'timeout' | 'protocol' | 'refused' | 'too-large' | 'bad-request';

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

  /**
   * Worth another try: the miner may answer next time. Refusals are final, and so are a
   * reply over the size cap (asking again would read as much again) and a request we will
   * not send.
   */
  get retryable(): boolean {
    return this.kind !== 'refused' && this.kind !== 'too-large' && this.kind !== 'bad-request';
  }
}

/** A reply longer than the cap: the connection is cut at the cap, nothing of it is parsed. */
export class ReplyTooLargeError extends LuxosError {
  constructor(address: string, readonly limitBytes: number) {
    super('too-large', `reply larger than ${limitBytes} bytes; connection closed`, address);
    this.name = 'ReplyTooLargeError';
  }
}

/** A profile the miner's own table does not have (or a name that could carry parameters): never sent. */
export class UnknownProfileError extends LuxosError {
  constructor(address: string, readonly profile: string, why: string) {
    super('bad-request', `profile ${JSON.stringify(profile.slice(0, 64))}: ${why}`, address);
    this.name = 'UnknownProfileError';
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

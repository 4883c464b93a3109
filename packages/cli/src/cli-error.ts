/**
 * An error the CLI reports as one line and an exit code, without a stack trace: the user
 * did something we can explain (bad flag, bad file, impossible budget).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit codes, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** Runtime failure (unreachable device, I/O). */
  failure: 1,
  /** Bad usage or bad input file. */
  usage: 2,
  /** The request cannot be met (budget below the fleet's minimum). */
  infeasible: 3,
  /** A change was sent but not confirmed by read-back within the timeout. */
  unconfirmed: 4,
  /** The API refused the request (a 4xx problem: bad field, unknown id, token or role). */
  refused: 5,
} as const;

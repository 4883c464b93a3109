/**
 * Why a meter read failed, so a caller decides on kind, not on message text:
 * - `timeout`: no complete reply in time (meter busy, gateway hung, packets lost);
 * - `connection-refused`: nothing listens on that port (wrong port, Modbus TCP disabled);
 * - `unreachable`: no route, unknown host, or the connection dropped mid-read;
 * - `exception`: the meter answered with a Modbus exception (`exceptionCode`), e.g. 2 for a
 *   register it does not have: the register map is wrong, retrying will not help;
 * - `protocol`: bytes that are not a Modbus TCP reply to our request;
 * - `out-of-range`: a well-formed reply whose value is NaN or outside minW..maxW (wrong
 *   register, type, word order or scale).
 */
export type MeterErrorKind = 'timeout' | 'connection-refused' | 'unreachable' | 'exception' | 'protocol' | 'out-of-range';

/** Modbus exception codes (Modbus Application Protocol V1.1b3, section 7). */
export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export class MeterError extends Error {
  constructor(
    readonly kind: MeterErrorKind,
    message: string,
    readonly address: string,
    readonly exceptionCode?: number,
    options?: { cause?: unknown },
  ) {
    super(`meter ${address}: ${message}`, options);
    this.name = 'MeterError';
  }

  /**
   * Worth another try on the next sample. An exception for a bad address or function, or a
   * value out of range, says the configuration is wrong; a busy or gateway exception passes.
   */
  get retryable(): boolean {
    if (this.kind === 'exception') return this.exceptionCode === 5 || this.exceptionCode === 6 || this.exceptionCode === 10 || this.exceptionCode === 11;
    return this.kind !== 'out-of-range';
  }
}

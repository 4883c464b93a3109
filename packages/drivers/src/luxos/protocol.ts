/**
 * LuxOS API facts shared by the driver and the emulator: from Luxor's published API
 * documentation and the replies recorded from a real miner in `test/fixtures/luxos/`
 * (summary in docs/miner-sim.md).
 * Codes marked "ours" are not published by Luxor; the emulator uses them and the driver keys
 * on the STATUS letter, never on them.
 */
export const LUXOS_PORT = 4028;
export const LUXMINER_VERSION = '2025.4.8.220305-57b389c7';
export const LUXOS_DESCRIPTION = `LUXminer ${LUXMINER_VERSION}`;

export const CODES = {
  pools: 7,
  devs: 9,
  summary: 11,
  invalidCommand: 14,
  version: 22,
  invalidJson: 23,
  config: 33,
  accessDenied: 45,
  stats: 70,
  temps: 201,
  fans: 202,
  frequencyget: 301, // ours
  voltageget: 307,
  power: 311,
  logon: 316,
  logoff: 317, // ours
  kill: 318, // ours
  session: 319,
  profileset: 321,
  profileget: 322, // ours
  profiles: 323,
  curtail: 335,
  atm: 339,
  atmset: 340,
  events: 357,
  missingParameter: 400, // ours
  sessionActive: 402,
  invalidSession: 403, // ours: wrong or expired session id
  unknownProfile: 404, // ours
  invalidParameter: 405, // ours
  asleep: 406, // ours: the miner is asleep and cannot do that
} as const;

/** Commands that change the miner and take a session id as first parameter. */
export const WRITE_COMMANDS = new Set(['profileset', 'curtail', 'atmset', 'frequencyset', 'voltageset', 'logoff']);

export type StatusLetter = 'S' | 'I' | 'W' | 'E' | 'F';

export interface StatusEntry {
  STATUS: StatusLetter;
  When: number;
  Code: number;
  Msg: string;
  Description: string;
}

/** A parsed reply: STATUS plus one UPPERCASE payload key (or none), and `id`. */
export type LuxosReply = { STATUS: StatusEntry[]; id: number } & Record<string, unknown>;

export const isOk = (s: StatusLetter) => s === 'S' || s === 'I';

import { setTimeout as sleepMs } from 'node:timers/promises';
import { LuxosError, MinerRefusedError, UnknownProfileError } from './errors.js';
import { isObject, parseReply, payload } from './parse-reply.js';
import { CODES, LUXOS_PORT, type LuxosReply } from './protocol.js';
import { MAX_REPLY_BYTES, exchange } from './transport.js';

export interface LuxosClientOptions {
  /** Per exchange. @defaultValue 3000 */
  readonly timeoutMs?: number;
  /** Extra attempts after an unreachable/timeout/protocol failure. @defaultValue 2 */
  readonly retries?: number;
  /** First back-off; doubles per attempt, with jitter. @defaultValue 200 */
  readonly backoffMs?: number;
  /** Logon attempts while another client holds the session (402). @defaultValue 8 */
  readonly sessionAttempts?: number;
  /** Read-back interval while waiting for a change to show. @defaultValue 500 */
  readonly pollMs?: number;
  /** A miner at or below this draw counts as asleep. @defaultValue 100 */
  readonly sleepConfirmW?: number;
  /**
   * A session another client has held this long (402 on every logon since) is taken as
   * abandoned — a crashed agent's, which LuxOS keeps for 60 s idle — and ended with `kill`.
   * 0 never ends another's session. @defaultValue 0
   */
  readonly endStaleSessionAfterMs?: number;
  /** Reply size cap (ReplyTooLargeError beyond it). @defaultValue MAX_REPLY_BYTES (256 KiB) */
  readonly maxReplyBytes?: number;
}

export interface Identity {
  model: string;
  firmware: string;
  apiVersion: string;
  serial: string;
  hostname: string;
  mac: string;
}

export interface ProfileRow {
  name: string;
  step: number;
  frequencyMHz: number;
  voltageV: number;
  powerW: number;
  hashrateThs: number;
}

export interface Telemetry {
  model: string;
  /** Target profile (LuxOS shows the new target at once; `ramping` says if it is reached). */
  profile: string;
  powerW: number;
  /** 5-second average. */
  hashrateThs: number;
  ramping: boolean;
  sleeping: boolean;
  /** Booting after a wake-up (sleeping is true too). */
  waking: boolean;
  atmEnabled: boolean;
}

export interface ChangeResult {
  /** True only once a read-back shows the change complete, within the deadline. */
  confirmed: boolean;
  /** The last reading. */
  observed: Telemetry;
  elapsedMs: number;
}

export interface ChangeOptions {
  /** How long to wait for the read-back. @defaultValue 60000 */
  readonly deadlineMs?: number;
}

/**
 * The LuxOS driver: one connection per request, bounded retries with back-off, writes
 * grouped in one session that is always closed, and changes confirmed by reading back.
 * Every write names its target (a profile name, sleep, wakeup), so repeating it is harmless.
 */
export class LuxosClient {
  readonly address: string;
  private readonly opts: Required<LuxosClientOptions>;
  /** Since when every logon has been refused because another client holds the session. */
  private busySince: number | undefined;
  /** The miner's profile names, from the latest `profiles` read. */
  private profileNames: Set<string> | undefined;

  constructor(
    readonly host: string,
    readonly port: number = LUXOS_PORT,
    options: LuxosClientOptions = {},
  ) {
    this.address = `${host}:${port}`;
    this.opts = {
      timeoutMs: 3000, retries: 2, backoffMs: 200, sessionAttempts: 8, pollMs: 500, sleepConfirmW: 100, endStaleSessionAfterMs: 0, maxReplyBytes: MAX_REPLY_BYTES,
      ...options,
    };
  }

  /** Send one command (or `a+b` of parameterless reads) and check its STATUS. */
  async command(command: string, parameter?: string): Promise<LuxosReply> {
    const request = JSON.stringify(parameter === undefined ? { command } : { command, parameter });
    let attempt = 0;
    for (;;) {
      try {
        const text = await exchange(this.host, this.port, request, { timeoutMs: this.opts.timeoutMs, maxReplyBytes: this.opts.maxReplyBytes });
        return parseReply(text, command, this.address);
      } catch (e) {
        if (!(e instanceof LuxosError) || !e.retryable || attempt >= this.opts.retries) throw e;
        await sleepMs(this.backoff(attempt++));
      }
    }
  }

  async identity(): Promise<Identity> {
    const reply = await this.command('version+config');
    const version = payload<Record<string, unknown>>(sub(reply, 'version'), 'VERSION', 'version', this.address);
    const config = payload<Record<string, unknown>>(sub(reply, 'config'), 'CONFIG', 'config', this.address);
    return {
      model: str(config, 'Model', this.address),
      firmware: str(version, 'LUXminer', this.address),
      apiVersion: str(version, 'API', this.address),
      serial: str(config, 'SerialNumber', this.address),
      hostname: str(config, 'Hostname', this.address),
      mac: str(config, 'MACAddr', this.address),
    };
  }

  async profiles(): Promise<ProfileRow[]> {
    const reply = await this.command('profiles');
    const list = reply.PROFILES;
    if (!Array.isArray(list)) throw new LuxosError('protocol', 'profiles: reply has no PROFILES', this.address);
    const rows = list.map((row: unknown) => {
      if (!isObject(row)) throw new LuxosError('protocol', 'profiles: a PROFILES row is not an object', this.address);
      return row;
    }).map((row) => ({
      name: str(row, 'Profile Name', this.address),
      step: intText(row, 'Step', this.address),
      frequencyMHz: num(row, 'Frequency', this.address),
      voltageV: num(row, 'Voltage', this.address),
      powerW: num(row, 'Watts', this.address),
      hashrateThs: num(row, 'Hashrate', this.address),
    }));
    this.profileNames = new Set(rows.map((r) => r.name));
    return rows;
  }

  /**
   * A profile is written only if the miner's own table has it (read once, again on a miss):
   * the name goes into `profileset SESSION,NAME`, where a comma would add parameters.
   */
  private async checkProfile(profile: string): Promise<void> {
    // eslint-disable-next-line no-control-regex
    if (profile.length === 0 || profile.length > 64 || /[,=\x00-\x1f\x7f"\\]/.test(profile)) {
      throw new UnknownProfileError(this.address, profile, 'not a profile name (1 to 64 characters, no commas, = or control characters)');
    }
    if (!this.profileNames?.has(profile)) await this.profiles();
    if (!this.profileNames!.has(profile)) throw new UnknownProfileError(this.address, profile, 'not in the miner\'s profile table');
  }

  async telemetry(): Promise<Telemetry> {
    const reply = await this.command('config+power+summary+devs');
    const config = payload<Record<string, unknown>>(sub(reply, 'config'), 'CONFIG', 'config', this.address);
    const power = payload<Record<string, unknown>>(sub(reply, 'power'), 'POWER', 'power', this.address);
    const summary = payload<Record<string, unknown>>(sub(reply, 'summary'), 'SUMMARY', 'summary', this.address);
    const devs = sub(reply, 'devs').DEVS;
    if (!Array.isArray(devs)) throw new LuxosError('protocol', 'devs: reply has no DEVS', this.address);
    const curtail = str(config, 'CurtailMode', this.address);
    return {
      model: str(config, 'Model', this.address),
      profile: str(config, 'Profile', this.address),
      powerW: num(power, 'Watts', this.address),
      hashrateThs: num(summary, 'GHS 5s', this.address) / 1000,
      ramping: devs.some((d: unknown) => isObject(d) && d.IsRamping === true),
      sleeping: curtail !== 'None' || config.IsPowerSupplyOn === false,
      // LuxOS documents "None" while mining; the emulator reports "WakeUp" while booting after
      // a wake-up (a firmware that says nothing of it leaves the scheduler to its time bound).
      waking: /wake/i.test(curtail),
      atmEnabled: config.IsAtmEnabled === true,
    };
  }

  /**
   * Hold the miner's single session for a batch of writes. Another holder (402) means back
   * off and try again; the session is always closed, also when a write fails.
   */
  async withSession<T>(fn: (sessionId: string) => Promise<T>): Promise<T> {
    let sessionId: string | undefined;
    for (let attempt = 0; sessionId === undefined; attempt++) {
      try {
        const reply = await this.command('logon');
        sessionId = str(payload(reply, 'SESSION', 'logon', this.address), 'SessionID', this.address);
        this.busySince = undefined;
      } catch (e) {
        const busy = e instanceof MinerRefusedError && e.code === CODES.sessionActive;
        if (!busy) throw e;
        this.busySince ??= Date.now();
        const stale = this.opts.endStaleSessionAfterMs > 0 && Date.now() - this.busySince >= this.opts.endStaleSessionAfterMs;
        if (stale) {
          await this.command('kill').catch(() => undefined);
          this.busySince = undefined;
          continue;
        }
        if (attempt + 1 >= this.opts.sessionAttempts) throw e;
        await sleepMs(this.backoff(attempt));
      }
    }
    try {
      return await fn(sessionId);
    } finally {
      // A failed logoff leaves the session to expire on its own (60 s idle); the write's
      // own outcome is what the caller needs to hear about.
      await this.command('logoff', sessionId).catch(() => undefined);
    }
  }

  /**
   * Desired state, writes only: bring the miner to `profile` (waking it if asleep, switching
   * ATM off so the profile stays) and return without waiting for the ramp. `known` is a
   * fresh reading when the caller has one (saves a round trip). Returns whether anything was
   * written. Confirmation is left to the caller's telemetry.
   */
  async applyProfile(profile: string, opts: { known?: Telemetry; unsafeWake?: boolean } = {}): Promise<boolean> {
    const t = opts.known ?? (await this.telemetry());
    if (!t.sleeping && !t.atmEnabled && t.profile === profile) return false;
    if (t.profile !== profile) await this.checkProfile(profile);
    await this.withSession(async (sid) => {
      if (t.atmEnabled) await this.command('atmset', `${sid},enabled=false`);
      if (t.profile !== profile) await this.command('profileset', `${sid},${profile}`);
      if (t.sleeping) await this.command('curtail', `${sid},wakeup${opts.unsafeWake ? ',mode=unsafe' : ''}`);
    });
    return true;
  }

  /** Desired state, writes only: put the miner to sleep unless it already is. */
  async applySleep(opts: { known?: Telemetry } = {}): Promise<boolean> {
    const t = opts.known ?? (await this.telemetry());
    if (t.sleeping) return false;
    await this.withSession((sid) => this.command('curtail', `${sid},sleep`));
    return true;
  }

  /**
   * Run `profile` and keep it: ATM is switched off first (it would move the profile on its
   * own). Confirmed once the miner reports the profile, awake and no longer ramping.
   */
  async setProfile(profile: string, opts: ChangeOptions = {}): Promise<ChangeResult> {
    const started = Date.now();
    const before = await this.telemetry();
    if (before.profile !== profile) await this.checkProfile(profile);
    if (before.atmEnabled || before.profile !== profile) {
      await this.withSession(async (sid) => {
        if (before.atmEnabled) await this.command('atmset', `${sid},enabled=false`);
        if (before.profile !== profile) await this.command('profileset', `${sid},${profile}`);
      });
    }
    return this.confirm((t) => t.profile === profile && !t.ramping && !t.sleeping, started, opts);
  }

  /** Curtail to sleep; confirmed when the miner says so and draws at most `sleepConfirmW`. */
  async sleep(opts: ChangeOptions = {}): Promise<ChangeResult> {
    const started = Date.now();
    await this.withSession((sid) => this.command('curtail', `${sid},sleep`));
    return this.confirm((t) => t.sleeping && t.powerW <= this.opts.sleepConfirmW, started, opts);
  }

  /**
   * Wake from sleep (`unsafe`: one-step power-up, not allowed on the first wake after a
   * reboot). Confirmed when the miner is out of curtailment and hashing again.
   */
  async wake(opts: ChangeOptions & { unsafe?: boolean } = {}): Promise<ChangeResult> {
    const started = Date.now();
    await this.withSession((sid) => this.command('curtail', `${sid},wakeup${opts.unsafe ? ',mode=unsafe' : ''}`));
    return this.confirm((t) => !t.sleeping && t.hashrateThs > 0, started, opts);
  }

  private async confirm(done: (t: Telemetry) => boolean, started: number, opts: ChangeOptions): Promise<ChangeResult> {
    const deadline = started + (opts.deadlineMs ?? 60_000);
    for (;;) {
      const observed = await this.telemetry();
      if (done(observed)) return { confirmed: true, observed, elapsedMs: Date.now() - started };
      if (Date.now() + this.opts.pollMs > deadline) return { confirmed: false, observed, elapsedMs: Date.now() - started };
      await sleepMs(this.opts.pollMs);
    }
  }

  private backoff(attempt: number): number {
    const base = this.opts.backoffMs * 2 ** attempt;
    return base / 2 + Math.random() * (base / 2);
  }
}

function sub(reply: LuxosReply, part: string): LuxosReply {
  const list = reply[part];
  const first: unknown = Array.isArray(list) ? list[0] : reply;
  return (isObject(first) ? first : {}) as LuxosReply;
}

/** A whole number the firmware sends as text (`"Step": "-3"`). */
function intText(o: Record<string, unknown>, key: string, address: string): number {
  const v = str(o, key, address);
  if (!/^-?\d{1,6}$/.test(v.trim())) throw new LuxosError('protocol', `field "${key}" is ${JSON.stringify(v.slice(0, 20))}, not a whole number`, address);
  return Number(v);
}

function str(o: Record<string, unknown>, key: string, address: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new LuxosError('protocol', `field "${key}" is ${v === undefined ? 'missing' : `a ${typeof v}, not a string`}`, address);
  return v;
}

function num(o: Record<string, unknown>, key: string, address: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new LuxosError('protocol', `field "${key}" is ${v === undefined ? 'missing' : `${JSON.stringify(v)}, not a number`}`, address);
  }
  return v;
}

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AsicUnit } from '@wattbroker/core';
import { CODES } from '@wattbroker/drivers';
import { NO_FAULTS, type Faults } from './faults.js';
import { MinerPhysics, type PhysicsOptions } from './physics.js';
import { error, ok, profileRow, replies, type MinerEvent, type ReplyContext } from './replies.js';

export interface MinerClock {
  /** Simulated seconds since the emulator started (wall time × speed). */
  simNow(): number;
  /** Wall-clock epoch milliseconds (sessions, STATUS.When). */
  wallMs(): number;
  /**
   * Simulated seconds per wall second, when simulated time runs on its own. Absent for a
   * clock moved by hand: nothing then happens between two reads.
   */
  readonly speed?: number;
}

/**
 * What an emulated miner did, for tests to wait on instead of sleeping. Nothing is computed
 * for an event nobody listens to.
 */
export interface MinerEvents {
  /**
   * An ATM check came round (every 30 simulated seconds): with ATM on, it pulled the target
   * profile back within its bounds (`before` → `after`); with ATM off, it left it alone.
   */
  'atm': [{ miner: number; id: string; simTimeS: number; enabled: boolean; before: string; after: string }];
  /**
   * A request was answered (what the miner replied; a wire fault may still mangle it on the
   * way). A `a+b` join is reported once per part.
   */
  'command': [{ miner: number; id: string; command: string; code: number; status: string }];
}

export interface EmulatedMinerOptions {
  readonly index: number;
  readonly host: string;
  readonly port: number;
  readonly seed: number;
  readonly clock: MinerClock;
  /** Idle time after which the session expires (wall clock). @defaultValue 60000 */
  readonly sessionTimeoutMs?: number;
  readonly physics?: PhysicsOptions;
  readonly initialProfile?: string;
}

/** What the "site meter" reads for one miner. */
export interface MinerTruth {
  id: string;
  index: number;
  port: number;
  model: string;
  state: 'mining' | 'ramping' | 'sleeping' | 'waking';
  profile: string;
  frequencyMHz: number;
  powerW: number;
  hashrateThs: number;
  faults: Partial<Faults>;
}

const READ_COMMANDS = ['version', 'config', 'summary', 'devs', 'stats', 'pools', 'power', 'profiles', 'temps', 'fans', 'events', 'atm', 'session'] as const;
const ATM_INTERVAL_S = 30;

type Reply = Record<string, unknown>;

/**
 * One emulated LuxOS miner: command semantics, the single session, ATM, events and faults,
 * around its physics. Transport lives in miner-server.ts.
 *
 * Physics and ATM are brought up to date lazily, whenever the miner is read or asked
 * something. While someone listens for 'atm' on a clock that runs on its own, a timer also
 * brings the miner up to date when each ATM check is due, so the event comes on time.
 */
export class EmulatedMiner extends EventEmitter<MinerEvents> {
  readonly physics: MinerPhysics;
  faults: Faults = { ...NO_FAULTS };
  private session: { id: string; lastUseMs: number } | undefined;
  private readonly atm: { enabled: boolean; minProfile: string; maxProfile: string };
  private lastAtmCheck = 0;
  private atmTimer: NodeJS.Timeout | undefined;
  private readonly events: MinerEvent[] = [];

  constructor(
    readonly unit: AsicUnit,
    private readonly opts: EmulatedMinerOptions,
  ) {
    super();
    this.physics = new MinerPhysics(unit, opts.seed, opts.initialProfile, opts.physics);
    this.atm = { enabled: true, minProfile: unit.profiles[0]!.name, maxProfile: 'default' };
    this.event('MINER_STARTED', 'Miner started mining.', 'MINER');
    // EventEmitter's own events, outside MinerEvents. newListener comes before the listener is added.
    const emitter = this as unknown as EventEmitter;
    emitter.on('newListener', (name: string | symbol) => {
      if (name === 'atm') queueMicrotask(() => this.scheduleAtm());
    });
    emitter.on('removeListener', (name: string | symbol) => {
      if (name === 'atm' && this.listenerCount('atm') === 0) {
        clearTimeout(this.atmTimer);
        this.atmTimer = undefined;
      }
    });
  }

  get port(): number {
    return this.opts.port;
  }

  /** Bring physics (and ATM) up to now. */
  advance(): void {
    const now = this.opts.clock.simNow();
    this.physics.advanceTo(now);
    if (now - this.lastAtmCheck >= ATM_INTERVAL_S) {
      this.lastAtmCheck = now;
      const before = this.physics.target.name;
      if (this.atm.enabled) {
        // ATM keeps the profile within its bounds: it undoes a profileset outside them.
        const steps = this.unit.profiles;
        const min = steps.findIndex((p) => p.name === this.atm.minProfile);
        const max = steps.findIndex((p) => p.name === this.atm.maxProfile);
        const t = this.physics.targetIndex;
        if (max >= 0 && t > max) this.physics.setTarget(max);
        if (min >= 0 && t < min) this.physics.setTarget(min);
      }
      if (this.listenerCount('atm') > 0) {
        this.emit('atm', { miner: this.opts.index, id: this.unit.id, simTimeS: now, enabled: this.atm.enabled, before, after: this.physics.target.name });
        this.scheduleAtm();
      }
    }
  }

  /** While 'atm' is listened to on a running clock: be up to date when the next check is due. */
  private scheduleAtm(): void {
    const speed = this.opts.clock.speed;
    if (!speed || this.listenerCount('atm') === 0) return;
    clearTimeout(this.atmTimer);
    const inS = this.lastAtmCheck + ATM_INTERVAL_S - this.opts.clock.simNow();
    this.atmTimer = setTimeout(() => {
      this.atmTimer = undefined;
      this.advance();
      this.scheduleAtm();
    }, Math.max(0, (inS / speed) * 1000) + 1);
    this.atmTimer.unref();
  }

  truth(): MinerTruth {
    this.advance();
    const ph = this.physics;
    const faults = Object.fromEntries(Object.entries(this.faults).filter(([k, v]) => v !== NO_FAULTS[k as keyof Faults]));
    return {
      id: this.unit.id,
      index: this.opts.index,
      port: this.opts.port,
      model: this.unit.model.name,
      state: ph.mode === 'mining' ? (ph.ramping ? 'ramping' : 'mining') : ph.mode,
      profile: ph.target.name,
      frequencyMHz: ph.frequencyMHz,
      powerW: Math.round(ph.powerW * 10) / 10,
      hashrateThs: Math.round(ph.hashrateThs * 100) / 100,
      faults,
    };
  }

  /** Answer one request: a parsed JSON object, or the `cmd|param` text form. */
  handle(request: unknown): Reply {
    const reply = this.answer(request);
    if (this.listenerCount('command') > 0) this.reportAnswer(request, reply);
    return reply;
  }

  private reportAnswer(request: unknown, reply: Reply): void {
    const command = typeof request === 'object' && request !== null && typeof (request as { command?: unknown }).command === 'string'
      ? (request as { command: string }).command : '';
    const statusOf = (r: Reply) => (r.STATUS as Array<{ STATUS: string; Code: number }> | undefined)?.[0];
    const parts: Array<[string, Reply]> = reply.STATUS
      ? [[command, reply]]
      : Object.entries(reply).filter(([k]) => k !== 'id').map(([k, v]) => [k, (v as Reply[])[0]!]);
    for (const [part, r] of parts) {
      const s = statusOf(r);
      this.emit('command', { miner: this.opts.index, id: this.unit.id, command: part, code: s?.Code ?? -1, status: s?.STATUS ?? '' });
    }
  }

  private answer(request: unknown): Reply {
    this.advance();
    const when = Math.floor(this.opts.clock.wallMs() / 1000);
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return error(CODES.invalidJson, 'Invalid JSON', when);
    }
    const { command, parameter } = request as { command?: unknown; parameter?: unknown };
    if (typeof command !== 'string' || command === '') return error(CODES.invalidCommand, 'Invalid command', when);
    const param = parameter === undefined || parameter === null ? undefined : String(parameter);
    if (command.includes('+')) {
      const out: Reply = {};
      for (const part of command.split('+')) {
        out[part] = [(READ_COMMANDS as readonly string[]).includes(part)
          ? this.dispatch(part, undefined, when)
          : error(CODES.accessDenied, `Command ${part} not allowed in a join`, when)];
      }
      return { ...out, id: 1 };
    }
    return this.dispatch(command, param, when);
  }

  private dispatch(command: string, param: string | undefined, when: number): Reply {
    const ctx = this.context(when);
    switch (command) {
      case 'version': case 'config': case 'summary': case 'devs': case 'stats': case 'pools': case 'power':
      case 'profiles': case 'temps': case 'fans': case 'events': case 'atm':
        return replies[command](ctx);
      case 'session':
        return ok(CODES.session, 'Session', when, { SESSION: [{ SessionID: this.activeSession()?.id ?? '' }] });
      case 'logon': {
        if (this.activeSession()) return error(CODES.sessionActive, 'Another session is active', when);
        const id = randomBytes(6).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 8);
        this.session = { id, lastUseMs: this.opts.clock.wallMs() };
        return ok(CODES.logon, 'Logon success', when, { SESSION: [{ SessionID: id }] });
      }
      case 'kill':
        this.session = undefined;
        return ok(CODES.kill, 'Session killed', when);
      case 'profileget': {
        if (!param) return error(CODES.missingParameter, 'Missing parameter: profile name', when);
        const p = this.unit.profiles.find((row) => row.name === param);
        if (!p) return error(CODES.unknownProfile, `Unknown profile: ${param}`, when);
        return ok(CODES.profileget, 'Get profile', when, { PROFILE: [profileRow(p, p.name === this.physics.target.name)] });
      }
      case 'frequencyget':
        return this.perBoard(param, when, CODES.frequencyget, 'Get Frequency', 'FREQUENCY', (b) => ({ Board: b, Frequency: this.physics.frequencyMHz }));
      case 'voltageget':
        return this.perBoard(param, when, CODES.voltageget, 'Get Voltage', 'VOLTAGE', (b) => ({ Board: b, Voltage: this.physics.voltageV }));
      case 'logoff': case 'profileset': case 'curtail': case 'atmset':
        return this.write(command, param, when);
      default:
        return error(CODES.invalidCommand, 'Invalid command', when);
    }
  }

  private write(command: string, param: string | undefined, when: number): Reply {
    const [sid, ...args] = (param ?? '').split(',').map((s) => s.trim());
    if (!sid) return error(CODES.missingParameter, `Missing parameter: ${command} needs a session id first`, when);
    const session = this.activeSession();
    if (!session || session.id !== sid) {
      return error(CODES.invalidSession, session ? 'Invalid session id' : 'Invalid session id: no active session (expired or logged off)', when);
    }
    session.lastUseMs = this.opts.clock.wallMs();
    switch (command) {
      case 'logoff':
        this.session = undefined;
        return ok(CODES.logoff, 'Session ended', when);
      case 'profileset':
        return this.profileset(args[0], when);
      case 'curtail':
        return this.curtail(args, when);
      default:
        return this.atmset(args, when);
    }
  }

  private profileset(selector: string | undefined, when: number): Reply {
    if (!selector) return error(CODES.missingParameter, 'Missing parameter: profile', when);
    const rows = this.unit.profiles;
    let index = -1;
    const rel = /^([+-])(\d+)$/.exec(selector);
    const target = /^(\d+(?:\.\d+)?)(W|kW|THs)$/.exec(selector);
    if (rel) {
      const step = this.physics.target.step + (rel[1] === '+' ? 1 : -1) * Number(rel[2]);
      index = rows.findIndex((p) => p.step === step);
      if (index < 0) return error(CODES.unknownProfile, `Unknown profile: no step ${step} (range ${rows[0]!.step}..${rows.at(-1)!.step})`, when);
    } else if (target) {
      const value = Number(target[1]) * (target[2] === 'kW' ? 1000 : 1);
      const metric = (p: (typeof rows)[number]) => (target[2] === 'THs' ? p.hashrateThs : p.powerW);
      for (let i = 0; i < rows.length; i++) if (metric(rows[i]!) <= value) index = i;
      if (index < 0) return error(CODES.unknownProfile, `Unknown profile: none fits ${selector}`, when);
    } else {
      index = rows.findIndex((p) => p.name === selector);
      if (index < 0) return error(CODES.unknownProfile, `Unknown profile: ${selector}`, when);
    }
    this.physics.setTarget(index);
    this.event('PROFILE_CHANGED', `Profile set to ${rows[index]!.name}.`, 'MINER');
    return ok(CODES.profileset, 'Profile set', when, {
      PROFILE: [{ Board: 0, FrequencyStep: 5, Profile: rows[index]!.name, VoltageStep: 0.05 }],
    });
  }

  private curtail(args: string[], when: number): Reply {
    const action = args[0];
    const unsafe = args.slice(1).includes('mode=unsafe');
    if (action === 'sleep') {
      this.physics.sleep();
      this.event('CURTAIL_SLEEP', 'Miner curtailed to sleep mode.', 'MINER');
      return ok(CODES.curtail, 'Curtail', when, { CURTAIL: [{ Action: 'sleep mode' }] });
    }
    if (action === 'wakeup') {
      // A real firmware bug: success is reported, nothing happens.
      if (!this.faults.stuckAsleep) this.physics.wake(unsafe);
      this.event('CURTAIL_WAKEUP', `Miner waking up${unsafe ? ' (unsafe mode)' : ''}.`, 'MINER');
      return ok(CODES.curtail, 'Curtail', when, { CURTAIL: [{ Action: 'wake up' }] });
    }
    if (action === undefined || action === '') return error(CODES.missingParameter, 'Missing parameter: sleep or wakeup', when);
    return error(CODES.invalidParameter, `Invalid parameter: unknown curtail action "${action}"`, when);
  }

  private atmset(args: string[], when: number): Reply {
    if (args.length === 0) return error(CODES.missingParameter, 'Missing parameter: enabled=, min_profile= or max_profile=', when);
    const next = { ...this.atm };
    for (const arg of args) {
      const [key, value] = arg.split('=', 2) as [string, string | undefined];
      if (key === 'enabled' && (value === 'true' || value === 'false')) next.enabled = value === 'true';
      else if ((key === 'min_profile' || key === 'max_profile') && value) {
        if (!this.unit.profiles.some((p) => p.name === value)) return error(CODES.unknownProfile, `Unknown profile: ${value}`, when);
        if (key === 'min_profile') next.minProfile = value;
        else next.maxProfile = value;
      } else return error(CODES.invalidParameter, `Invalid parameter: ${arg}`, when);
    }
    Object.assign(this.atm, next);
    return ok(CODES.atmset, 'ATM configuration updated', when);
  }

  private perBoard(param: string | undefined, when: number, code: number, msg: string, key: string, row: (b: number) => Reply): Reply {
    const boards = this.unit.model.boards;
    if (param !== undefined && param !== '') {
      const b = Number(param);
      if (!Number.isInteger(b) || b < 0 || b >= boards) return error(CODES.invalidParameter, `Invalid parameter: board ${param} (0..${boards - 1})`, when);
      return ok(code, msg, when, { [key]: [row(b)] });
    }
    return ok(code, msg, when, { [key]: Array.from({ length: boards }, (_, b) => row(b)) });
  }

  private activeSession() {
    const s = this.session;
    if (s && this.opts.clock.wallMs() - s.lastUseMs > (this.opts.sessionTimeoutMs ?? 60_000)) this.session = undefined;
    return this.session;
  }

  private context(when: number): ReplyContext {
    return { physics: this.physics, when, host: this.opts.host, port: this.opts.port, index: this.opts.index, atm: this.atm, events: this.events };
  }

  private event(code: string, description: string, target: 'MINER' | 'BOARD'): void {
    this.events.push({
      Code: code, CreatedAt: new Date(this.opts.clock.wallMs()).toISOString().replace(/\.\d+Z$/, '+00:00'),
      Description: description, DocUrl: 'https://docs.luxor.tech/firmware/kb/eventstroubleshooting', Target: target,
    });
    if (this.events.length > 50) this.events.shift();
  }
}

import { CODES, LUXMINER_VERSION, LUXOS_DESCRIPTION, type StatusLetter } from '@wattbroker/drivers';
import type { ProfileSpec } from '@wattbroker/core';
import type { MinerPhysics } from './physics.js';

/**
 * Reply bodies, field for field as a real LuxOS miner writes them (compare
 * test/fixtures/luxos/*.json; the conformance test does, for every file).
 */
export interface ReplyContext {
  readonly physics: MinerPhysics;
  /** Epoch seconds now (wall clock: STATUS.When, share times). */
  readonly when: number;
  readonly host: string;
  readonly port: number;
  readonly index: number;
  readonly atm: { enabled: boolean; minProfile: string; maxProfile: string };
  readonly events: ReadonlyArray<MinerEvent>;
}

export interface MinerEvent {
  Code: string;
  CreatedAt: string;
  Description: string;
  DocUrl: string;
  Target: 'MINER' | 'BOARD';
  ID?: number;
}

const MINER = LUXMINER_VERSION.split('-')[0]!;
const COMPILE_TIME = 'Tue Apr  8 22:05:35 UTC 2025';

export function status(letter: StatusLetter, code: number, msg: string, when: number) {
  return [{ Code: code, Description: LUXOS_DESCRIPTION, Msg: msg, STATUS: letter, When: when }];
}

export function ok(code: number, msg: string, when: number, payload: Record<string, unknown[]> = {}) {
  return { STATUS: status('S', code, msg, when), ...payload, id: 1 };
}

export function error(code: number, msg: string, when: number) {
  return { STATUS: status('E', code, msg, when), id: 1 };
}

const ghs = (ths: number) => Math.round(ths * 1000 * 100) / 100;

export function profileRow(p: ProfileSpec, tuned: boolean) {
  return {
    CanRestore: true,
    Frequency: p.frequencyMHz,
    HasOverrides: false,
    Hashrate: p.hashrateThs,
    IsDynamic: true,
    IsTuned: tuned,
    'Profile Name': p.name,
    Step: String(p.step),
    Voltage: p.voltageV,
    Watts: p.powerW,
  };
}

function mac(ctx: ReplyContext): string {
  const b = [0x62, 0xf7, 0x5e, (ctx.index >> 16) & 0xff, (ctx.index >> 8) & 0xff, ctx.index & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export const replies = {
  version: (ctx: ReplyContext) =>
    ok(CODES.version, 'LUXminer versions', ctx.when, {
      VERSION: [{ API: '3.7', CompileTime: COMPILE_TIME, LUXminer: LUXMINER_VERSION, Miner: MINER, Type: ctx.physics.unit.model.name }],
    }),

  config: (ctx: ReplyContext) => {
    const { physics: ph } = ctx;
    const asleep = ph.mode !== 'mining';
    return ok(CODES.config, 'LUXminer config', ctx.when, {
      CONFIG: [{
        'ASC Count': ph.unit.model.boards,
        BcastAddr: '127.255.255.255',
        ControlBoardType: 'cvitek',
        Cooling: 'Air',
        CurtailMode: ph.mode === 'sleeping' ? 'Sleep' : ph.mode === 'waking' ? 'WakeUp' : 'None',
        DHCP: true,
        'DNS Servers': '',
        'Device Code': '',
        FPGABuildIdHex: '0x18351835',
        FPGABuildIdStr: '2018-35-18 35:00',
        FeeStatus: 'Ok',
        Gateway: '127.0.0.1',
        GreenLed: 'auto',
        Hostname: `sim-${ph.unit.id}`,
        Hotplug: 'None',
        IPAddr: ctx.host,
        ImmersionMode: false,
        IsAtmEnabled: ctx.atm.enabled,
        IsPowerSupplyOn: !asleep || ph.mode === 'waking',
        IsSingleVoltage: true,
        IsTuning: ph.ramping,
        'Log Interval': 0,
        LogFileLevel: 'info',
        MACAddr: mac(ctx),
        Model: ph.unit.model.name,
        NameplateTHS: ph.unit.model.nominalThs,
        Netmask: '255.0.0.0',
        OS: 'LuxOS',
        'PGA Count': 0,
        PSUHwVersion: '75',
        PSULabel: 'APW121215e',
        'Pool Count': 4,
        Profile: ph.target.name,
        ProfileStep: String(ph.target.step),
        RedLed: 'auto',
        SerialNumber: ph.unit.serial,
        Strategy: 'Failover',
        SystemStatus: 'Normal',
        UpdateOnStartup: 'off',
        UpdateOnTimeout: 'off',
        UpdateOnUser: 'full',
        UpdateSource: 'https://storage.googleapis.com/luxor-firmware/stable',
        UpdateTimeout: 60,
      }],
    });
  },

  summary: (ctx: ReplyContext) => {
    const ph = ctx.physics;
    const a = ph.averageThs;
    const accepted = Math.floor(ph.accepted);
    const rejected = Math.floor(ph.rejected);
    return ok(CODES.summary, 'Summary', ctx.when, {
      SUMMARY: [{
        Accepted: accepted,
        'Best Share': 32768,
        'Device Hardware%': 0.0,
        'Device Rejected%': 0.0,
        'Difficulty Accepted': accepted * 32768,
        'Difficulty Rejected': rejected * 32768,
        'Difficulty Stale': 0,
        Discarded: 0,
        Elapsed: Math.floor(ph.elapsedS),
        'Found Blocks': 0,
        'GHS 15m': ghs(a['15m']),
        'GHS 1m': ghs(a['1m']),
        'GHS 24h': ghs(a['24h']),
        'GHS 30m': ghs(a['30m']),
        'GHS 5m': ghs(a['5m']),
        'GHS 5s': ghs(a['5s']),
        'GHS av': ghs(ph.totalTh / Math.max(1, ph.elapsedS)),
        'Get Failures': 0,
        Getworks: Math.floor(ph.elapsedS / 5.3),
        'Hardware Errors': 0,
        'Last getwork': ctx.when - 4,
        'Local Work': 0,
        'Network Blocks': 0,
        'Pool Rejected%': accepted > 0 ? Math.round((rejected / (accepted + rejected)) * 1e6) / 1e4 : 0.0,
        'Pool Stale%': 0.0,
        Rejected: rejected,
        'Remote Failures': 0,
        Stale: 0,
        'Total MH': ph.totalTh * 1e6,
        Utility: Math.round((accepted / Math.max(1, ph.elapsedS / 60)) * 100) / 100,
        'Work Utility': Math.round(ph.averageThs['1m'] * 0.19 * 100) / 100,
      }],
    });
  },

  devs: (ctx: ReplyContext) => {
    const ph = ctx.physics;
    const n = ph.unit.model.boards;
    const per = (x: number) => (x * 1e6) / n;
    const accepted = Math.floor(ph.accepted / n);
    return ok(CODES.devs, `${n} ASC(s)`, ctx.when, {
      DEVS: Array.from({ length: n }, (_, i) => ({
        ASC: i,
        Accepted: accepted,
        Board: 'BHB56903',
        Connector: `J${7 + i}`,
        ControllerIPVersionHex: '0x18351835',
        ControllerIPVersionStr: 'N/A',
        'Device Elapsed': Math.floor(ph.elapsedS),
        'Device Hardware%': 0,
        'Device Rejected%': 0,
        'Diff1 Work': accepted * 32768,
        'Difficulty Accepted': accepted * 32768,
        'Difficulty Rejected': 0,
        Enabled: ph.mode === 'mining' ? 'Y' : 'N',
        'Hardware Error MHS 15m': 0,
        'Hardware Errors': 0,
        ID: i,
        IsRamping: ph.ramping,
        IsUserShutdown: ph.mode !== 'mining',
        'Last Share Difficulty': 32768,
        'Last Share Pool': i === 0 ? 1 : 3,
        'Last Share Time': ctx.when - 1,
        'Last Valid Work': ctx.when - 1,
        'MHS 15m': per(ph.averageThs['15m']),
        'MHS 1m': per(ph.averageThs['1m']),
        'MHS 30m': per(ph.averageThs['30m']),
        'MHS 5m': per(ph.averageThs['5m']),
        'MHS 5s': per(ph.averageThs['5s']),
        'MHS 60m': per(ph.averageThs['60m']),
        'MHS av': per(ph.totalTh / Math.max(1, ph.elapsedS)),
        Name: '',
        'Nominal MHS': per(ph.target.frequencyMHz * (ph.unit.model.nominalThs / ph.unit.model.defaultMHz)),
        Profile: ph.target.name,
        Rejected: 0,
        SerialNumber: `${ph.unit.serial.slice(0, 12)}${i}Z`,
        Status: ph.mode === 'mining' ? 'Alive' : 'Dead',
        Temperature: Math.round(ph.temperatureC),
        'Total MH': per(ph.totalTh),
        Utility: 0,
      })),
    });
  },

  stats: (ctx: ReplyContext) => {
    const ph = ctx.physics;
    const n = ph.unit.model.boards;
    const chip = Math.round(ph.temperatureC);
    const rate = (ghs(ph.averageThs['5s']) / n).toFixed(2);
    const board = (k: number) => k <= n;
    const s: Record<string, unknown> = {
      Calls: 0, Elapsed: Math.floor(ph.elapsedS), 'GHS 5s': ghs(ph.averageThs['5s']),
      'GHS av': ghs(ph.totalTh / Math.max(1, ph.elapsedS)), ID: 'BTM_SOC0', Max: 0, Min: 99999999, Mode: 2, STATS: 0, Wait: 0,
    };
    for (let k = 1; k <= 4; k++) {
      s[`chain_acn${k}`] = board(k) ? 77 : 0;
      s[`chain_acs${k}`] = board(k) ? ` ${'oooo '.repeat(19)}o` : '';
      s[`chain_hw${k}`] = 0;
      s[`chain_rate${k}`] = board(k) ? rate : '0';
    }
    Object.assign(s, { fan1: 1920, fan2: 1920, fan3: 2340, fan4: 2340, fan_num: 4 });
    for (let k = 1; k <= 4; k++) s[`freq${k}`] = board(k) ? ph.frequencyMHz : 0.0;
    Object.assign(s, {
      frequency: ph.frequencyMHz, miner_count: n, miner_id: mac(ctx).replaceAll(':', ''), miner_version: MINER,
      no_matching_work: 0, rate_30m: ghs(ph.averageThs['30m']), rate_unit: 'GH',
      temp1: chip, temp2: chip, temp2_1: chip, temp2_2: chip, temp2_3: chip, temp3: chip,
    });
    const quad = (k: number) => (board(k) ? `${chip}-${chip - 13}-${chip - 13}-${chip}` : '0-0-0-0');
    for (let k = 1; k <= 4; k++) s[`temp_chip${k}`] = quad(k);
    Object.assign(s, { temp_max: chip, temp_num: n });
    for (let k = 1; k <= 4; k++) s[`temp_pcb${k}`] = quad(k);
    for (let k = 1; k <= 4; k++) s[`temp_pic${k}`] = quad(k);
    Object.assign(s, {
      'total rate': ghs(ph.averageThs['5s']) / n, total_acn: 4, total_freqavg: ph.frequencyMHz,
      total_rateideal: ghs(ph.target.frequencyMHz * (ph.unit.model.nominalThs / ph.unit.model.defaultMHz)),
    });
    return ok(CODES.stats, 'LUXminer stats', ctx.when, {
      STATS: [{ CompileTime: COMPILE_TIME, Miner: MINER, Type: ph.unit.model.name }, s],
    });
  },

  pools: (ctx: ReplyContext) => {
    const accepted = Math.floor(ctx.physics.accepted / 2);
    const pool = (i: number, alive: boolean) => ({
      Accepted: alive ? accepted : 0, AsicBoost: true, 'Bad Work': 0, 'Best Share': alive ? 32768 : 0,
      'Current Block Height': 0, 'Current Block Version': alive ? 536870912 : 0, Diff: alive ? '32K' : '0',
      'Diff1 Shares': alive ? accepted * 32768 : 0, 'Difficulty Accepted': alive ? accepted * 32768 : 0,
      'Difficulty Rejected': 0, 'Difficulty Stale': 0, Discarded: 0, GROUP: i >> 1, 'Get Failures': 0,
      Getworks: alive ? Math.floor(ctx.physics.elapsedS / 10.5) : 0, 'Has GBT': false, 'Has Stratum': true,
      'Has Vmask': true, 'Last Share Difficulty': alive ? 32768 : 0, 'Last Share Time': alive ? '00:00:01' : '00:57:33',
      'Long Pool': 'N', POOL: i, 'Pool Rejected%': 0.0, 'Pool Stale%': 0.0, Priority: i, Proxy: '', 'Proxy Type': '',
      Quota: 1.0, Rejected: 0, 'Remote Failures': 0, Stale: 0, Status: alive ? 'Alive' : 'Dead',
      'Stratum Active': alive, 'Stratum Difficulty': alive ? 32768 : 0,
      'Stratum URL': alive ? 'ca.stratum.braiins.com:3333' : 'stratum.braiins.com:3333',
      URL: alive ? 'stratum+tcp://ca.stratum.braiins.com:3333' : 'stratum+tcp://stratum.braiins.com:3333',
      User: `wattbroker.${ctx.physics.unit.id}`, 'Work Difficulty': alive ? 32768 : 0, Works: 0,
    });
    return ok(CODES.pools, '4 Pool(s)', ctx.when, { POOLS: [pool(0, true), pool(1, false), pool(2, true), pool(3, false)] });
  },

  power: (ctx: ReplyContext) =>
    ok(CODES.power, 'Power usage', ctx.when, { POWER: [{ PSU: false, Watts: ctx.physics.reportedPowerW() }] }),

  profiles: (ctx: ReplyContext) =>
    ok(CODES.profiles, 'List profiles', ctx.when, {
      PROFILES: ctx.physics.unit.profiles.map((p) => profileRow(p, p.name === ctx.physics.target.name)),
    }),

  temps: (ctx: ReplyContext) => {
    const t = Math.round(ctx.physics.temperatureC);
    const label = (l: string, pos: [number, number]) => ({ Label: l, Position: pos });
    return ok(CODES.temps, `${ctx.physics.unit.model.boards} Temp(s)`, ctx.when, {
      METADATA: [{
        BottomLeft: label('Board Exhaust (bottom)', [1, 0]), BottomRight: label('Board Intake (bottom)', [1, 1]),
        TopLeft: label('Board Exhaust (top)', [0, 0]), TopRight: label('Board Intake (top)', [0, 1]),
      }],
      TEMPS: Array.from({ length: ctx.physics.unit.model.boards }, (_, i) => ({
        BottomLeft: t, BottomRight: t - 13, ID: i, TEMP: i, TopLeft: t, TopRight: t - 13,
      })),
    });
  },

  fans: (ctx: ReplyContext) => {
    const asleep = ctx.physics.mode === 'sleeping';
    const rpm = (base: number) => (asleep ? Math.round(base / 2) : base);
    return ok(CODES.fans, '4 Fan(s)', ctx.when, {
      FANCTRL: [{ MinFans: 3, PowerOffSpeed: 20 }],
      FANS: [['FAN4', 1920], ['FAN2', 1920], ['FAN1', 2340], ['FAN3', 2340]].map(([name, base], i) => ({
        FAN: name as string, ID: i, RPM: rpm(base as number), Speed: 20,
      })),
    });
  },

  events: (ctx: ReplyContext) => ok(CODES.events, 'Miner Events', ctx.when, { EVENTS: [...ctx.events] }),

  atm: (ctx: ReplyContext) =>
    ok(CODES.atm, 'ATM configuration values', ctx.when, {
      ATM: [{
        Enabled: ctx.atm.enabled, MaxProfile: ctx.atm.maxProfile, MinProfile: ctx.atm.minProfile,
        PostRampMinutes: 15, StartupMinutes: 15, TempWindow: 5,
      }],
    }),
};

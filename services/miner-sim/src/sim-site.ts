import { generateFleet, type AsicModelKey, type FleetMix } from '@wattbroker/core';
import { EmulatedGpuHost, type GpuHostSpec, type GpuHostTruth } from './gpu/emulated-gpu-host.js';
import { EmulatedMiner, type MinerClock, type MinerTruth } from './miner/emulated-miner.js';
import type { Faults } from './miner/faults.js';
import type { PhysicsOptions } from './miner/physics.js';
import { MinerServer } from './server/miner-server.js';
import { DEFAULT_COOLING, sitePower, type CoolingModel, type SitePowerTruth } from './site/site-power.js';

/** A clock for the whole site, for tests that move time by hand. */
export interface SimClock {
  /** Wall-clock epoch milliseconds: sessions, STATUS.When, event times. */
  wallMs(): number;
  /** Simulated seconds since the site started. @defaultValue wall time since then × speed */
  simNow?(): number;
}

export interface SimSiteOptions {
  readonly miners: number;
  readonly basePort: number;
  readonly host?: string;
  /** Models to mix in equal shares of stock power. @defaultValue the catalog's default mix */
  readonly models?: readonly AsicModelKey[];
  /** Simulated seconds per wall second (device physics). @defaultValue 1 */
  readonly speed?: number;
  readonly seed?: number;
  readonly idPrefix?: string;
  readonly sessionTimeoutMs?: number;
  readonly physics?: PhysicsOptions;
  readonly initialProfile?: string;
  /** GPU servers, on the same clock. @defaultValue none */
  readonly gpuHosts?: readonly GpuHostSpec[];
  /** The site's true cooling. @defaultValue 10 % of IT, no fixed part */
  readonly cooling?: CoolingModel;
  /**
   * Time moved by hand (tests): nothing then happens on its own between two reads.
   * @defaultValue the system clock, simulated time running at `speed`
   */
  readonly clock?: SimClock;
}

export interface SiteTruth {
  at: string;
  speed: number;
  simTimeS: number;
  miners: number;
  /** The miners' draw, W (kept from before GPUs and cooling were emulated; see `site`). */
  totalPowerW: number;
  totalHashrateThs: number;
  /** The whole site at the point of connection: what a revenue meter there reads. */
  site: SitePowerTruth;
  gpuHosts: Array<Omit<GpuHostTruth, 'gpus'> & { gpus: number; busy: number }>;
  perMiner?: MinerTruth[];
}

/** N emulated miners in one process, miner i on basePort + i, sharing one scaled clock. */
export class SimSite {
  readonly miners: EmulatedMiner[];
  readonly servers: MinerServer[];
  readonly gpuHosts: EmulatedGpuHost[];
  readonly host: string;
  readonly speed: number;
  readonly cooling: CoolingModel;
  readonly clock: MinerClock;
  private readonly startedMs: number;

  constructor(readonly opts: SimSiteOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.speed = opts.speed ?? 1;
    const given = opts.clock;
    const wallMs = given ? () => given.wallMs() : () => Date.now();
    this.startedMs = wallMs();
    const simNow = given?.simNow ? () => given.simNow!() : () => ((wallMs() - this.startedMs) / 1000) * this.speed;
    // Only the system clock runs on its own (and so may drive timers).
    const clock: MinerClock = given ? { simNow, wallMs } : { simNow, wallMs, speed: this.speed };
    this.clock = clock;
    const mix: FleetMix | undefined = opts.models ? Object.fromEntries(opts.models.map((m) => [m, 1])) : undefined;
    const seed = opts.seed ?? 1;
    const units = generateFleet({ miners: opts.miners, seed, idPrefix: opts.idPrefix ?? 'm', ...(mix ? { mix } : {}) });
    this.miners = units.map((unit, index) => new EmulatedMiner(unit, {
      index, host: this.host, port: opts.basePort + index, seed, clock,
      ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
      ...(opts.physics ? { physics: opts.physics } : {}),
      ...(opts.initialProfile ? { initialProfile: opts.initialProfile } : {}),
    }));
    this.servers = this.miners.map((m) => new MinerServer(m, this.host));
    this.gpuHosts = (opts.gpuHosts ?? []).map((spec) => new EmulatedGpuHost(spec, seed, clock));
    const ids = new Set<string>();
    for (const h of this.gpuHosts) {
      if (ids.has(h.id)) throw new RangeError(`GPU host "${h.id}" declared twice`);
      ids.add(h.id);
    }
    this.cooling = opts.cooling ?? DEFAULT_COOLING;
  }

  /** The GPU host with this id, or undefined. */
  gpuHost(id: string): EmulatedGpuHost | undefined {
    return this.gpuHosts.find((h) => h.id === id);
  }

  async start(): Promise<void> {
    // Listen in batches: hundreds of listen() calls at once are fine, but errors stay readable.
    for (let i = 0; i < this.servers.length; i += 100) {
      await Promise.all(this.servers.slice(i, i + 100).map((s) => s.start()));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }

  /** Find a miner by index, id or port. */
  find(ref: string | number): number {
    const s = String(ref);
    const byId = this.miners.findIndex((m) => m.unit.id === s);
    if (byId >= 0) return byId;
    const n = Number(s);
    if (Number.isInteger(n)) {
      if (n >= 0 && n < this.miners.length) return n;
      const byPort = this.miners.findIndex((m) => m.port === n);
      if (byPort >= 0) return byPort;
    }
    throw new RangeError(`no miner "${s}" (give an index 0..${this.miners.length - 1}, an id like ${this.miners[0]?.unit.id}, or a port)`);
  }

  async setFaults(index: number, patch: Partial<Faults>): Promise<void> {
    Object.assign(this.miners[index]!.faults, patch);
    await this.servers[index]!.sync();
  }

  truth(perMiner = true): SiteTruth {
    const all = this.miners.map((m) => m.truth());
    const hosts = this.gpuHosts.map((h) => h.truth());
    const minersW = all.reduce((s, m) => s + m.powerW, 0);
    const site = sitePower({
      minersW,
      gpusW: hosts.reduce((s, h) => s + h.gpusW, 0),
      hostOverheadW: hosts.reduce((s, h) => s + h.hostOverheadW, 0),
    }, this.cooling);
    return {
      at: new Date(this.clock.wallMs()).toISOString(),
      speed: this.speed,
      simTimeS: this.clock.simNow(),
      miners: all.length,
      totalPowerW: Math.round(minersW * 10) / 10,
      totalHashrateThs: Math.round(all.reduce((s, m) => s + m.hashrateThs, 0) * 100) / 100,
      site,
      gpuHosts: hosts.map(({ gpus, ...h }) => ({ ...h, gpus: gpus.length, busy: gpus.filter((g) => g.busy).length })),
      ...(perMiner ? { perMiner: all } : {}),
    };
  }

  /** The whole site's true power now, W (what a meter at the point of connection reads, without its noise). */
  sitePowerW(): number {
    return this.truth(false).site.sitePowerW;
  }
}

/**
 * Start a site on `opts.basePort`, or, when it is 0, on a free loopback range picked at
 * random (retrying if another process takes it first): for tests and the demo.
 */
export async function startSimSite(opts: SimSiteOptions, pickRange?: (count: number) => Promise<number>): Promise<SimSite> {
  for (let attempt = 0; ; attempt++) {
    const basePort = opts.basePort !== 0 ? opts.basePort : await (pickRange ?? randomRange)(opts.miners);
    const site = new SimSite({ ...opts, basePort });
    try {
      await site.start();
      return site;
    } catch (e) {
      await site.stop();
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.basePort !== 0 || attempt >= 10) throw e;
    }
  }
}

async function randomRange(count: number): Promise<number> {
  // Below the ephemeral range (32768+), where outgoing connections take their ports.
  return 10000 + Math.floor(Math.random() * (22000 - count));
}

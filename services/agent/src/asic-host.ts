import type { DesiredState, DeviceInventory, DeviceReading, DeviceResult, HostConfig } from '@wattbroker/contracts';
import { LuxosClient, type Telemetry } from '@wattbroker/drivers';
import type { HostDevices } from './host-devices.js';
import { Limiter } from './limiter.js';

type AsicConfig = Extract<HostConfig, { kind: 'asic' }>;

/** Draw at or below which a sleeping miner is considered down (matches the driver). */
export const SLEEP_W = 100;

export interface AsicHostOptions {
  /** Per LuxOS exchange. @defaultValue 3000 */
  readonly timeoutMs?: number;
  /**
   * A write may start from the last telemetry reading when it is at most this old, instead
   * of reading the miner again first (one round trip of four saved per miner). A cached
   * reading that says "nothing to do" is always checked afresh, so a stale cache can only
   * cause a harmless repeated write, never a skipped one. @defaultValue 5000
   */
  readonly knownMaxAgeMs?: number;
  /**
   * A telemetry round publishes at most this long after it starts, with the miners that
   * answered; a miner whose read has been in flight this long, or that has not been read for
   * twice this long, is reported unreachable (see `read`). Under the scheduler's silent-after (2.5 s) with the 1 s telemetry interval: one
   * miner that accepts connections and never answers no longer silences its whole host.
   * @defaultValue 1500
   */
  readonly roundDeadlineMs?: number;
}

/**
 * Many LuxOS miners behind one agent. All exchanges share one host-wide limit, writes
 * before reads; writes to one miner never overlap, and when commands overlap the newest
 * target for a miner is the one written (see `apply`).
 */
export class AsicHost implements HostDevices {
  /** Commands may be applied concurrently: writes are ordered per miner here. */
  readonly concurrentCommands = true;
  private readonly clients: Map<string, LuxosClient>;
  private readonly last = new Map<string, { t: Telemetry; at: number }>();
  /** Profile tables read at registration: what each profile draws (for shed-only decisions). */
  private readonly tables = new Map<string, Map<string, number>>();
  private readonly limiter: Limiter;
  /** The write in flight per miner (the next one waits for it). */
  private readonly writing = new Map<string, Promise<unknown>>();
  private readonly knownMaxAgeMs: number;
  private readonly roundDeadlineMs: number;
  /** Per miner, when its telemetry read in flight started: a miner is read once at a time. */
  private readonly inFlight = new Map<string, number>();
  /**
   * Where the next full round starts in the host's miner list: at the first miner the last
   * one left unread at its deadline. Rounds cut short (a host too large for its deadline and
   * concurrency) then go round the list, and every miner is read in turn.
   */
  private nextStart = 0;
  /** Per miner, when a round last published a reading of it (since `createdAt` for none yet). */
  private readonly readAt = new Map<string, number>();
  private readonly createdAt = Date.now();

  constructor(private readonly config: AsicConfig, opts: AsicHostOptions = {}) {
    const timeoutMs = opts.timeoutMs ?? 3000;
    this.knownMaxAgeMs = opts.knownMaxAgeMs ?? 5000;
    this.roundDeadlineMs = opts.roundDeadlineMs ?? config.roundDeadlineMs ?? 1500;
    // This agent drives its miners: a session held by someone else for 15 s (a crashed agent's
    // own, which the miner keeps for 60 s) is ended rather than waited out.
    this.clients = new Map(config.miners.map((m) => [m.id, new LuxosClient(m.host, m.port, { timeoutMs, retries: 1, endStaleSessionAfterMs: 15_000 })]));
    this.limiter = new Limiter(config.concurrency);
  }

  async inventory(): Promise<DeviceInventory[]> {
    const rows = await this.limiter.map(this.config.miners, async (m) => {
      const c = this.clients.get(m.id)!;
      try {
        const [identity, profiles] = [await c.identity(), await c.profiles()];
        this.tables.set(m.id, new Map([['sleep', 25], ...profiles.map((p) => [p.name, p.powerW] as [string, number])]));
        return {
          id: m.id, kind: 'asic' as const, model: identity.model,
          profiles: [{ name: 'sleep', powerW: 25, hashrateThs: 0 }, ...profiles.map((p) => ({ name: p.name, powerW: p.powerW, hashrateThs: p.hashrateThs }))],
          sleepW: 25,
        };
      } catch {
        return undefined;
      }
    });
    return rows.filter((r): r is NonNullable<typeof r> => r !== undefined);
  }

  /**
   * One telemetry round: every miner (or those of `ids`) read through the host's limiter.
   * The round ends when all have answered or failed, or after `roundDeadlineMs`, whichever
   * comes first. A miner without a reading then is reported unreachable (the scheduler
   * budgets it at its maximum) when its read has been in flight a whole deadline (it hangs)
   * or nothing has been read of it for two deadlines; otherwise it is left out, and the next
   * full round starts with the miners left out (`nextStart`), so that a host too large for
   * its deadline goes round its miners. A miner is never read twice at once: while an
   * earlier round's read of it is still in flight (a miner that hangs holds it for the
   * driver's time-outs, 2 × 3 s), this round does not start another, and does not publish
   * that read's result either (it began before this round: a write applied since would be
   * claimed by a reading taken before it).
   */
  async read(ids?: readonly string[]): Promise<DeviceReading[]> {
    const wanted = ids && new Set(ids);
    const list = this.config.miners;
    const start = wanted ? 0 : this.nextStart % list.length;
    const miners = wanted ? list.filter((m) => wanted.has(m.id)) : [...list.slice(start), ...list.slice(0, start)];
    const readings = new Map<string, DeviceReading>();
    const round = { over: false };
    const all = this.limiter.map(miners, async (m) => {
      if (round.over || this.inFlight.has(m.id)) return;
      this.inFlight.set(m.id, Date.now());
      try {
        readings.set(m.id, await this.readOne(m.id));
      } finally {
        this.inFlight.delete(m.id);
      }
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.roundDeadlineMs)))]);
    clearTimeout(timer);
    round.over = true;
    const now = Date.now();
    const out: DeviceReading[] = [];
    let firstLeftOut = -1;
    miners.forEach((m, k) => {
      const r = readings.get(m.id);
      if (r) {
        out.push(r);
        this.readAt.set(m.id, now);
        return;
      }
      const since = this.inFlight.get(m.id);
      // Unreachable: its read has been in flight a whole deadline (it hangs), or nothing has
      // been read of it for two (hung reads holding every connection slot, a host too large
      // for its deadline): the scheduler then budgets it at its maximum instead of trusting
      // its last reading. Otherwise it is left out, and is read first next time.
      const hung = since !== undefined && now - since >= this.roundDeadlineMs;
      const unread = now - (this.readAt.get(m.id) ?? this.createdAt) >= 2 * this.roundDeadlineMs;
      if (hung || unread) out.push(this.unreachable(m.id));
      if (since === undefined && firstLeftOut < 0) firstLeftOut = k;
    });
    if (!wanted && firstLeftOut >= 0) this.nextStart = (start + firstLeftOut) % list.length;
    return out;
  }

  /** One miner's reading; unreachable when its read fails. */
  private async readOne(id: string): Promise<DeviceReading> {
    try {
      const t = await this.readMiner(id);
      return {
        id, reachable: true, powerW: t.powerW, hashrateThs: t.hashrateThs,
        // The configured profile, also while asleep or waking (LuxOS shows it at once).
        profile: t.profile, sleeping: t.sleeping, waking: t.waking, ramping: t.ramping,
      };
    } catch {
      return this.unreachable(id);
    }
  }

  private unreachable(id: string): DeviceReading {
    return { id, reachable: false, powerW: this.last.get(id)?.t.powerW ?? 0 };
  }

  /**
   * Write each miner's target. `current(id)` is asked when the miner's turn comes (after any
   * earlier write to it): false means a newer command has taken the miner over, and this one
   * leaves it alone. Commands therefore never wait for each other to finish.
   */
  async apply(desired: Record<string, DesiredState>, current: (id: string) => boolean = () => true): Promise<Record<string, DeviceResult>> {
    return Object.fromEntries(await Promise.all(Object.entries(desired).map(([id, want]) => this.writeMiner(id, want, current))));
  }

  private async writeMiner(id: string, want: DesiredState, current: (id: string) => boolean): Promise<[string, DeviceResult]> {
    const client = this.clients.get(id);
    if (!client) return [id, { ok: false, confirmed: false, error: `no miner "${id}" on this host` }];
    if (want.kind !== 'asic') return [id, { ok: false, confirmed: false, error: `${id} is a miner; got a ${want.kind} state` }];
    const before = this.writing.get(id);
    const superseded: DeviceResult = { ok: true, confirmed: false, superseded: true };
    // The miner's turn first, then a connection slot: a write waiting for an earlier write to
    // the same miner must not hold a slot that other miners' writes could use.
    const mine = (async (): Promise<DeviceResult> => {
      await before?.catch(() => undefined);
      if (!current(id)) return superseded;
      return this.limiter.run(() => (current(id) ? this.write(client, id, want.profile) : Promise.resolve(superseded)), 'write');
    })();
    this.writing.set(id, mine);
    try {
      return [id, await mine];
    } finally {
      if (this.writing.get(id) === mine) this.writing.delete(id);
    }
  }

  /** One miner's write, holding a connection slot. */
  private async write(client: LuxosClient, id: string, profile: string): Promise<DeviceResult> {
    try {
      const cached = this.fresh(id);
      let known = cached ?? (await this.readMiner(id));
      // Only a write may rest on an old reading: a cached "nothing to do" is checked afresh.
      if (cached && !needsWrite(cached, profile)) known = await this.readMiner(id);
      this.expire(id); // what we are about to write makes the cached reading stale
      if (profile === 'sleep') {
        await client.applySleep({ known });
        return { ok: true, confirmed: known.sleeping && known.powerW <= SLEEP_W };
      }
      await client.applyProfile(profile, { known, unsafeWake: this.config.fastWake });
      return { ok: true, confirmed: !known.sleeping && known.profile === profile && !known.ramping };
    } catch (e) {
      return { ok: false, confirmed: false, error: (e as Error).message };
    }
  }

  async applyIfLower(desired: Record<string, DesiredState>): Promise<Record<string, DeviceResult>> {
    const lower: Record<string, DesiredState> = {};
    const skipped: Record<string, DeviceResult> = {};
    await this.limiter.map(Object.entries(desired), async ([id, want]) => {
      const table = this.tables.get(id);
      const client = this.clients.get(id);
      if (!table || !client || want.kind !== 'asic') {
        skipped[id] = { ok: false, confirmed: false, error: 'unknown miner or profile table not read yet' };
        return;
      }
      try {
        const t = await this.readMiner(id);
        const now = table.get(t.sleeping ? 'sleep' : t.profile) ?? Number.POSITIVE_INFINITY;
        const target = table.get(want.profile) ?? Number.POSITIVE_INFINITY;
        if (target < now) lower[id] = want;
        else skipped[id] = { ok: true, confirmed: true };
      } catch {
        // Unreachable now: try the shed anyway (apply reads it again and reports the outcome).
        lower[id] = want;
      }
    }, 'write');
    return { ...skipped, ...(await this.apply(lower)) };
  }

  private async readMiner(id: string): Promise<Telemetry> {
    const t = await this.clients.get(id)!.telemetry();
    this.last.set(id, { t, at: Date.now() });
    return t;
  }

  /** Keep the value (the last known draw of a miner that stops answering) but never reuse it. */
  private expire(id: string): void {
    const e = this.last.get(id);
    if (e) e.at = Number.NEGATIVE_INFINITY;
  }

  private fresh(id: string): Telemetry | undefined {
    const e = this.last.get(id);
    return e && Date.now() - e.at <= this.knownMaxAgeMs ? e.t : undefined;
  }

  async close(): Promise<void> {}
}

/** Whether bringing a miner in state `t` to `profile` ('sleep' or a profile name) takes a write. */
function needsWrite(t: Telemetry, profile: string): boolean {
  return profile === 'sleep' ? !t.sleeping : t.sleeping || t.atmEnabled || t.profile !== profile;
}

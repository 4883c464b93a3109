import type { DesiredState, DeviceInventory, DeviceReading, DeviceResult, HostConfig } from '@wattbroker/contracts';
import { LuxosClient, type Telemetry } from '@wattbroker/drivers';
import type { HostDevices } from './host-devices.js';
import { mapLimit } from './map-limit.js';

type AsicConfig = Extract<HostConfig, { kind: 'asic' }>;

/** Draw at or below which a sleeping miner is considered down (matches the driver). */
const SLEEP_W = 100;

/** Many LuxOS miners behind one agent, driven with bounded concurrency. */
export class AsicHost implements HostDevices {
  private readonly clients: Map<string, LuxosClient>;
  private readonly last = new Map<string, Telemetry>();
  /** Profile tables read at registration: what each profile draws (for shed-only decisions). */
  private readonly tables = new Map<string, Map<string, number>>();

  constructor(private readonly config: AsicConfig, timeoutMs = 3000) {
    this.clients = new Map(config.miners.map((m) => [m.id, new LuxosClient(m.host, m.port, { timeoutMs, retries: 1 })]));
  }

  async inventory(): Promise<DeviceInventory[]> {
    const rows = await mapLimit(this.config.miners, this.config.concurrency, async (m) => {
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

  async read(): Promise<DeviceReading[]> {
    return mapLimit(this.config.miners, this.config.concurrency, async (m) => {
      try {
        const t = await this.clients.get(m.id)!.telemetry();
        this.last.set(m.id, t);
        return {
          id: m.id, reachable: true, powerW: t.powerW, hashrateThs: t.hashrateThs,
          profile: t.sleeping ? 'sleep' : t.profile, sleeping: t.sleeping, ramping: t.ramping,
        };
      } catch {
        const t = this.last.get(m.id);
        return { id: m.id, reachable: false, powerW: t?.powerW ?? 0 };
      }
    });
  }

  async apply(desired: Record<string, DesiredState>): Promise<Record<string, DeviceResult>> {
    const entries = Object.entries(desired);
    const results = await mapLimit(entries, this.config.concurrency, async ([id, want]): Promise<[string, DeviceResult]> => {
      const client = this.clients.get(id);
      if (!client) return [id, { ok: false, confirmed: false, error: `no miner "${id}" on this host` }];
      if (want.kind !== 'asic') return [id, { ok: false, confirmed: false, error: `${id} is a miner; got a ${want.kind} state` }];
      try {
        const known = await client.telemetry();
        if (want.profile === 'sleep') {
          await client.applySleep({ known });
          return [id, { ok: true, confirmed: known.sleeping && known.powerW <= SLEEP_W }];
        }
        await client.applyProfile(want.profile, { known, unsafeWake: this.config.fastWake });
        return [id, { ok: true, confirmed: !known.sleeping && known.profile === want.profile && !known.ramping }];
      } catch (e) {
        return [id, { ok: false, confirmed: false, error: (e as Error).message }];
      }
    });
    return Object.fromEntries(results);
  }

  async applyIfLower(desired: Record<string, DesiredState>): Promise<Record<string, DeviceResult>> {
    const lower: Record<string, DesiredState> = {};
    const skipped: Record<string, DeviceResult> = {};
    await mapLimit(Object.entries(desired), this.config.concurrency, async ([id, want]) => {
      const table = this.tables.get(id);
      const client = this.clients.get(id);
      if (!table || !client || want.kind !== 'asic') {
        skipped[id] = { ok: false, confirmed: false, error: 'unknown miner or profile table not read yet' };
        return;
      }
      try {
        const t = await client.telemetry();
        const now = table.get(t.sleeping ? 'sleep' : t.profile) ?? Number.POSITIVE_INFINITY;
        const target = table.get(want.profile) ?? Number.POSITIVE_INFINITY;
        if (target < now) lower[id] = want;
        else skipped[id] = { ok: true, confirmed: true };
      } catch {
        // Unreachable now: try the shed anyway (apply reads it again and reports the outcome).
        lower[id] = want;
      }
    });
    return { ...skipped, ...(await this.apply(lower)) };
  }

  async close(): Promise<void> {}
}

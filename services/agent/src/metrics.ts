import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceResult } from '@wattbroker/contracts';
import type { Agent } from './agent.js';
import type { HostDevices } from './host-devices.js';

/**
 * An agent's own Prometheus series (docs/metrics.md): how long reading its devices takes and
 * how often they do not answer, what it applied. Reads and writes are timed by wrapping the
 * host's devices (`metered`), so the agent shell stays as it is; the rest comes from its
 * typed events. Every series carries the host id as label `host`.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly readSeconds: Histogram;
  private readonly readErrors: Counter;
  private readonly reachable: Gauge;
  private readonly writes: Counter;
  private readonly writeSeconds: Histogram;

  constructor(hostId: string) {
    const r = [this.registry];
    this.registry.setDefaultLabels({ host: hostId });
    collectDefaultMetrics({ register: this.registry, prefix: 'wattbroker_agent_process_' });
    this.readSeconds = new Histogram({ name: 'wattbroker_agent_device_read_seconds', help: 'One read of the host\'s devices (a telemetry round, or a read-back)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: r });
    this.readErrors = new Counter({ name: 'wattbroker_agent_device_read_errors_total', help: 'Device reads that failed: a device that did not answer in a round, or a round that threw', registers: r });
    this.reachable = new Gauge({ name: 'wattbroker_agent_devices', help: 'Devices by whether they answered the last full read', labelNames: ['reachable'], registers: r });
    this.writes = new Counter({ name: 'wattbroker_agent_device_writes_total', help: 'Desired states applied to devices, by result (ok, failed, superseded by a newer command)', labelNames: ['result'], registers: r });
    this.writeSeconds = new Histogram({ name: 'wattbroker_agent_command_apply_seconds', help: 'Applying one command to the host\'s devices', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r });
  }

  /** The host's devices with their reads and writes timed and counted. */
  metered(inner: HostDevices): HostDevices {
    const count = (results: Record<string, DeviceResult>) => {
      for (const x of Object.values(results)) this.writes.inc({ result: x.superseded ? 'superseded' : x.ok ? 'ok' : 'failed' });
      return results;
    };
    const timed = async <T>(h: Histogram, f: () => Promise<T>): Promise<T> => {
      const end = h.startTimer();
      try {
        return await f();
      } finally {
        end();
      }
    };
    return {
      inventory: () => inner.inventory(),
      read: async (ids) => {
        try {
          const readings = await timed(this.readSeconds, () => inner.read(ids));
          const down = readings.filter((x) => !x.reachable).length;
          this.readErrors.inc(down);
          if (!ids) {
            this.reachable.set({ reachable: 'true' }, readings.length - down);
            this.reachable.set({ reachable: 'false' }, down);
          }
          return readings;
        } catch (e) {
          this.readErrors.inc();
          throw e;
        }
      },
      apply: async (desired, current) => count(await timed(this.writeSeconds, () => inner.apply(desired, current))),
      ...(inner.concurrentCommands !== undefined ? { concurrentCommands: inner.concurrentCommands } : {}),
      ...(inner.applyIfLower ? { applyIfLower: async (desired) => count(await inner.applyIfLower!(desired)) } : {}),
      ...(inner.onJobEnd ? { onJobEnd: (listener) => inner.onJobEnd!(listener) } : {}),
      close: () => inner.close(),
    };
  }

  /** Counts of what the agent did, from its events. */
  watch(agent: Agent): void {
    const r = [this.registry];
    const commands = new Counter({ name: 'wattbroker_agent_commands_total', help: 'Commands from the leader: applied, or ignored as stale (an older epoch)', labelNames: ['outcome'], registers: r });
    const telemetry = new Counter({ name: 'wattbroker_agent_telemetry_batches_total', help: 'Telemetry batches published (also the heartbeat)', registers: r });
    const sheds = new Counter({ name: 'wattbroker_agent_grid_sheds_total', help: 'Pre-armed grid sheds fired by the agent on its own', registers: r });
    const fallbacks = new Counter({ name: 'wattbroker_agent_fallbacks_total', help: 'Fallbacks applied after hearing no leader', registers: r });
    commands.inc({ outcome: 'applied' }, 0);
    agent.on('command', (c) => commands.inc({ outcome: c.stale ? 'stale' : 'applied' }));
    agent.on('telemetry', () => telemetry.inc());
    agent.on('shed', () => sheds.inc());
    agent.on('fallback', () => fallbacks.inc());
  }

  /** `GET /metrics` on host:port (127.0.0.1 unless told otherwise: it has no token). */
  listen(port: number, host: string): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`),
      );
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  }
}

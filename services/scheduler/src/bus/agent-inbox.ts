import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openRedis } from '@wattbroker/bus';
import {
  AgentMessageSchema, KEYS, TelemetryBatchSchema, fieldPath, resultsStream, streamHost, telemetryStream,
  type AgentMessage, type TelemetryBatch,
} from '@wattbroker/contracts';
import type { AgentInbox, InboxCounters } from '../ports.js';
import { findHostStreams } from './host-streams.js';
import { newestStreamId, readStreams } from './read-streams.js';

/** How often streams of hosts that appeared since are looked for. */
const DISCOVER_MS = 2000;

/**
 * What agents send, each host on keys of its own (its ACL user can write nothing else):
 * telemetry batches on `{wb}:telemetry:<host>` (read on from its newest entry when the host
 * is found), registrations, command results and job ends on `{wb}:results:<host>` (read from
 * the leader's stored cursor, so nothing sent while no one led is lost). The key names the
 * sender: a message whose body claims another host is refused, logged and counted, as is a
 * message that fails its schema. Only the leader listens. Started when this process takes
 * the lead, stopped when it loses it (each start on fresh connections). New hosts are found
 * by their streams (SCAN every 2 s) and by the registrations already stored.
 */
export class RedisAgentInbox implements AgentInbox {
  private generation = 0;
  private connections: Redis[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly hosts = new Set<string>();
  readonly counters: InboxCounters = { foreignHost: 0, invalid: 0 };

  constructor(
    private readonly redisUrl: string,
    private readonly log: Logger,
  ) {}

  start(handlers: { telemetry(batch: TelemetryBatch): void; message(msg: AgentMessage): Promise<void> }): void {
    const generation = ++this.generation;
    const control = openRedis(this.redisUrl);
    const telemetry = openRedis(this.redisUrl);
    const results = openRedis(this.redisUrl);
    this.connections.push(control, telemetry, results);
    const discover = async () => {
      try {
        for (const h of await findHostStreams(control)) this.hosts.add(h);
        for (const h of await control.hkeys(KEYS.hosts)) this.hosts.add(h);
      } catch (e) {
        if (generation === this.generation) this.log.warn({ err: (e as Error).message }, 'looking for agents\' streams failed');
      }
    };
    const first = discover();
    this.timer = setInterval(() => void discover(), DISCOVER_MS);
    void first.then(() => Promise.all([this.readTelemetry(telemetry, generation, handlers.telemetry), this.readResults(results, control, generation, handlers.message)]));
  }

  private live(generation: number): boolean {
    return generation === this.generation;
  }

  private async readTelemetry(redis: Redis, generation: number, onBatch: (batch: TelemetryBatch) => void): Promise<void> {
    const from = new Map<string, string>();
    while (this.live(generation)) {
      try {
        for (const h of this.hosts) if (!from.has(telemetryStream(h))) from.set(telemetryStream(h), await newestStreamId(redis, telemetryStream(h)));
        const entries = await readStreams(redis, from, 200);
        if (!this.live(generation)) return;
        for (const e of entries) {
          from.set(e.stream, e.id);
          const batch = this.accept(TelemetryBatchSchema, e, 'telemetry batch');
          if (batch) onBatch(batch);
        }
      } catch (e) {
        if (!this.live(generation)) return;
        this.log.warn({ err: (e as Error).message }, 'telemetry read failed');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private async readResults(redis: Redis, control: Redis, generation: number, onMessage: (msg: AgentMessage) => Promise<void>): Promise<void> {
    const from = new Map<string, string>();
    let cursors: Record<string, string> | undefined;
    while (this.live(generation)) {
      try {
        cursors ??= await control.hgetall(KEYS.resultsCursor);
        for (const h of this.hosts) if (!from.has(resultsStream(h))) from.set(resultsStream(h), cursors[h] ?? '0');
        const entries = await readStreams(redis, from, 200, 100);
        if (!this.live(generation)) return;
        for (const e of entries) {
          const msg = this.accept(AgentMessageSchema, e, 'agent message');
          if (msg) {
            await onMessage(msg).catch((err: unknown) => this.log.warn({ stream: e.stream, id: e.id, err: (err as Error).message }, 'agent message failed'));
          }
          // Handled: never again, even if this process lost the lead meanwhile (a message
          // handled twice, e.g. a stale result, would step a later leader down for nothing).
          from.set(e.stream, e.id);
          await control.hset(KEYS.resultsCursor, streamHost(e.stream)!, e.id);
          if (!this.live(generation)) return;
        }
      } catch (e) {
        if (!this.live(generation)) return;
        this.log.warn({ err: (e as Error).message }, 'results read failed');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** The message if it passes its schema and names the host whose key it came on; else logged, counted, undefined. */
  private accept<T extends { hostId: string }>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } } }, e: { stream: string; id: string; value: unknown }, what: string): T | undefined {
    const parsed = schema.safeParse(e.value);
    if (!parsed.success) {
      this.counters.invalid++;
      const issue = parsed.error.issues[0]!;
      this.log.warn({ stream: e.stream, id: e.id, field: fieldPath(issue.path), issue: issue.message }, `invalid ${what} skipped`);
      return undefined;
    }
    const sender = streamHost(e.stream);
    if (parsed.data.hostId !== sender) {
      this.counters.foreignHost++;
      this.log.warn({ stream: e.stream, id: e.id, sender, claimed: parsed.data.hostId, refused: this.counters.foreignHost }, `${what} refused: hostId names another host than its sender`);
      return undefined;
    }
    return parsed.data;
  }

  async stop(): Promise<void> {
    this.generation++;
    clearInterval(this.timer);
    for (const c of this.connections.splice(0)) c.disconnect();
  }
}

import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openRedis, readStream } from '@wattbroker/bus';
import {
  AgentMessageSchema, BULL_PREFIX, RESULTS_QUEUE, TELEMETRY_STREAM, TelemetryBatchSchema, fieldPath, type AgentMessage, type TelemetryBatch,
} from '@wattbroker/contracts';
import type { AgentInbox } from '../ports.js';

/**
 * What agents send: telemetry batches on a Redis stream (read from the newest on), and
 * registrations, command results and job ends on the results queue (a BullMQ worker). Only
 * the leader listens: a standby that took results would keep them from the leader. Both are
 * parsed with their schemas; a bad message is logged with the field and dropped. Started when
 * this process takes the lead, stopped when it loses it (each start on fresh connections).
 */
export class RedisAgentInbox implements AgentInbox {
  private generation = 0;
  private worker: Worker | undefined;
  private connections: Redis[] = [];

  constructor(
    private readonly redisUrl: string,
    private readonly log: Logger,
  ) {}

  start(handlers: { telemetry(batch: TelemetryBatch): void; message(msg: AgentMessage): Promise<void> }): void {
    const generation = ++this.generation;
    const stream = openRedis(this.redisUrl);
    const blocking = openRedis(this.redisUrl);
    this.connections.push(stream, blocking);
    void this.readTelemetry(stream, generation, handlers.telemetry);
    this.worker = new Worker(RESULTS_QUEUE, async (job: Job) => {
      const parsed = AgentMessageSchema.safeParse(job.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new Error(`invalid agent message: ${fieldPath(issue.path)}: ${issue.message}`);
      }
      await handlers.message(parsed.data);
    }, { connection: blocking, prefix: BULL_PREFIX, concurrency: 1 });
    this.worker.on('error', (e) => this.log.error({ err: e.message }, 'results worker error'));
    this.worker.on('failed', (job, e) => this.log.warn({ jobId: job?.id, err: e.message }, 'agent message refused'));
  }

  private async readTelemetry(redis: Redis, generation: number, onBatch: (batch: TelemetryBatch) => void): Promise<void> {
    let lastId = '$';
    while (generation === this.generation) {
      try {
        const entries = await readStream(redis, TELEMETRY_STREAM, lastId, 200);
        if (generation !== this.generation) return;
        for (const e of entries) {
          lastId = e.id;
          const batch = TelemetryBatchSchema.safeParse(e.value);
          if (batch.success) onBatch(batch.data);
          else this.log.warn({ id: e.id, field: fieldPath(batch.error.issues[0]!.path), issue: batch.error.issues[0]!.message }, 'invalid telemetry batch skipped');
        }
      } catch (e) {
        if (generation !== this.generation) return;
        this.log.warn({ err: (e as Error).message }, 'telemetry read failed');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async stop(): Promise<void> {
    this.generation++;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.close().catch(() => undefined);
    for (const c of this.connections.splice(0)) c.disconnect();
  }
}

import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { readStream } from '@wattbroker/bus';
import {
  AgentMessageSchema, BULL_PREFIX, RESULTS_QUEUE, TELEMETRY_STREAM, TelemetryBatchSchema, fieldPath, type AgentMessage, type TelemetryBatch,
} from '@wattbroker/contracts';
import type { AgentInbox } from '../ports.js';

/**
 * What agents send: telemetry batches on a Redis stream (read from the newest on), and
 * registrations, command results and job ends on the results queue (a BullMQ worker).
 * Both are parsed with their schemas; a bad message is logged with the field and dropped.
 */
export class RedisAgentInbox implements AgentInbox {
  private running = false;
  private worker: Worker | undefined;
  private lastId = '$';

  constructor(
    private readonly streamRedis: Redis,
    private readonly workerRedis: Redis,
    private readonly log: Logger,
  ) {}

  start(handlers: { telemetry(batch: TelemetryBatch): void; message(msg: AgentMessage): Promise<void> }): void {
    this.running = true;
    void this.readTelemetry(handlers.telemetry);
    this.worker = new Worker(RESULTS_QUEUE, async (job: Job) => {
      const parsed = AgentMessageSchema.safeParse(job.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new Error(`invalid agent message: ${fieldPath(issue.path)}: ${issue.message}`);
      }
      await handlers.message(parsed.data);
    }, { connection: this.workerRedis, prefix: BULL_PREFIX, concurrency: 1 });
    this.worker.on('error', (e) => this.log.error({ err: e.message }, 'results worker error'));
    this.worker.on('failed', (job, e) => this.log.warn({ jobId: job?.id, err: e.message }, 'agent message refused'));
  }

  private async readTelemetry(onBatch: (batch: TelemetryBatch) => void): Promise<void> {
    while (this.running) {
      try {
        const entries = await readStream(this.streamRedis, TELEMETRY_STREAM, this.lastId, 200);
        for (const e of entries) {
          this.lastId = e.id;
          const batch = TelemetryBatchSchema.safeParse(e.value);
          if (batch.success) onBatch(batch.data);
          else this.log.warn({ id: e.id, field: fieldPath(batch.error.issues[0]!.path), issue: batch.error.issues[0]!.message }, 'invalid telemetry batch skipped');
        }
      } catch (e) {
        if (this.running) this.log.warn({ err: (e as Error).message }, 'telemetry read failed');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.worker?.close();
  }
}

import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BULL_PREFIX, commandQueue, type AgentCommand, type ArmCommand, type FallbackCommand } from '@wattbroker/contracts';
import type { CommandSink } from '../ports.js';

/** Commands finished or failed that each host queue keeps for inspection. */
const KEEP = { removeOnComplete: 200, removeOnFail: 200 };

/**
 * One BullMQ queue per host (`agent-<hostId>`). Commands are built from the core's typed
 * output and validated by the agent that takes them, so they are not parsed again here (50
 * commands of 200 miners cost ~10 ms, on a grid shed's path).
 */
export class BullCommandSink implements CommandSink {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly redis: Redis) {}

  private queue(hostId: string): Queue {
    let q = this.queues.get(hostId);
    if (!q) {
      q = new Queue(commandQueue(hostId), { connection: this.redis, prefix: BULL_PREFIX });
      this.queues.set(hostId, q);
    }
    return q;
  }

  async send(cmd: AgentCommand): Promise<void> {
    await this.queue(cmd.hostId).add('desired', cmd, KEEP);
  }

  async arm(cmd: ArmCommand): Promise<void> {
    await this.queue(cmd.hostId).add('arm', cmd, KEEP);
  }

  async fallback(cmd: FallbackCommand): Promise<void> {
    await this.queue(cmd.hostId).add('fallback', cmd, { removeOnComplete: 10, removeOnFail: 10 });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

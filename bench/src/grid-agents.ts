/**
 * ASIC agents for the grid benchmark, several per process, each beside a bare BullMQ worker
 * on a queue of its own (the baseline: the same fan-out under the same load, with nothing
 * of wattbroker in the path). The bare worker records when it got each job on a Redis list.
 * usage: grid-agents.ts REDIS_URL BASE_PORT FIRST_HOST HOSTS MINERS_PER_HOST TELEMETRY_MS
 */
import { Worker } from 'bullmq';
import { pino } from 'pino';
import { Agent, AsicHost } from '@wattbroker/agent';
import { openRedis } from '@wattbroker/bus';
import type { HostConfig } from '@wattbroker/contracts';

const [redisUrl, baseRaw, firstRaw, hostsRaw, perRaw, telemetryRaw] = process.argv.slice(2);
const [base, first, hosts, per, telemetryMs] = [baseRaw, firstRaw, hostsRaw, perRaw, telemetryRaw].map(Number) as [number, number, number, number, number];
const logger = pino({ level: 'warn' });
const redis = openRedis(redisUrl!);
const agents: Agent[] = [];
const bare: Worker[] = [];
for (let h = first; h < first + hosts; h++) {
  const config = {
    hostId: `asic-${h}`, kind: 'asic' as const, concurrency: 64, hostOverheadW: 0, fastWake: true,
    miners: Array.from({ length: per }, (_, i) => ({ id: `m-${String(h * per + i + 1).padStart(5, '0')}`, driver: 'luxos' as const, host: '127.0.0.1', port: base + h * per + i })),
  } satisfies HostConfig;
  const agent = new Agent({ config, redisUrl: redisUrl!, devices: new AsicHost(config), logger, telemetryIntervalMs: telemetryMs });
  await agent.start();
  agents.push(agent);
  bare.push(new Worker(`bare-${h}`, async (job) => {
    await redis.rpush('{bench}:bare', JSON.stringify({ round: job.data.round, host: h, receivedAt: Date.now() }));
  }, { connection: openRedis(redisUrl!), prefix: '{bench}' }));
}
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await Promise.all([...agents.map((a) => a.stop()), ...bare.map((w) => w.close())]);
  redis.disconnect();
  process.exit(0);
});

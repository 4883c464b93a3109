/**
 * ASIC agents for the grid benchmark, several per process. Each records when a command
 * reached it and when its writes to every miner were done (a Redis list), so the benchmark
 * measures delivery without touching the agent's code path.
 * usage: grid-agents.ts REDIS_URL BASE_PORT FIRST_HOST HOSTS MINERS_PER_HOST TELEMETRY_MS
 */
import { pino } from 'pino';
import { Agent, AsicHost } from '@wattbroker/agent';
import { openRedis } from '@wattbroker/bus';
import type { DesiredState, HostConfig } from '@wattbroker/contracts';

const [redisUrl, baseRaw, firstRaw, hostsRaw, perRaw, telemetryRaw] = process.argv.slice(2);
const [base, first, hosts, per, telemetryMs] = [baseRaw, firstRaw, hostsRaw, perRaw, telemetryRaw].map(Number) as [number, number, number, number, number];
const logger = pino({ level: 'silent' });
const redis = openRedis(redisUrl!);
const agents: Agent[] = [];
for (let h = first; h < first + hosts; h++) {
  const config = {
    hostId: `asic-${h}`, kind: 'asic' as const, concurrency: 64, hostOverheadW: 0, fastWake: true,
    miners: Array.from({ length: per }, (_, i) => ({ id: `m-${String(h * per + i + 1).padStart(5, '0')}`, driver: 'luxos' as const, host: '127.0.0.1', port: base + h * per + i })),
  } satisfies HostConfig;
  const devices = new AsicHost(config);
  const apply = devices.apply.bind(devices);
  devices.apply = async (desired: Record<string, DesiredState>) => {
    const startedAt = Date.now();
    const out = await apply(desired);
    await redis.rpush('{bench}:applied', JSON.stringify({ hostId: config.hostId, startedAt, endedAt: Date.now(), devices: Object.keys(desired).length }));
    return out;
  };
  const agent = new Agent({ config, redisUrl: redisUrl!, devices, logger, telemetryIntervalMs: telemetryMs });
  await agent.start();
  agents.push(agent);
}
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  for (const a of agents) await a.stop();
  redis.disconnect();
  process.exit(0);
});

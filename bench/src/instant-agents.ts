/**
 * Agents with instant devices in their own process (for the admission benchmark, so that
 * agents do not share the scheduler's event loop, as on a real site).
 * usage: instant-agents.ts REDIS_URL asic|gpu COUNT
 */
import { pino } from 'pino';
import { Agent } from '@wattbroker/agent';
import type { HostConfig } from '@wattbroker/contracts';
import { InstantGpus, InstantMiners } from './instant-devices.js';

const [redisUrl, kind, countRaw] = process.argv.slice(2);
const count = Number(countRaw);
const logger = pino({ level: 'silent' });
const agents: Agent[] = [];
for (let h = 0; h < count; h++) {
  const config: HostConfig = kind === 'asic'
    ? { hostId: `asic-${h}`, kind: 'asic', concurrency: 64, hostOverheadW: 0, fastWake: true, miners: [{ id: 'unused', driver: 'luxos', host: 'x', port: 1 }] }
    : { hostId: `gpu-${h}`, kind: 'gpu', hostOverheadW: 0, endpoints: {}, maxResponseBytes: 8 * 2 ** 20, gpus: [{ id: 'unused', driver: 'nvidia-smi', index: 0, model: 'h100' }] };
  const devices = kind === 'asic' ? new InstantMiners(200, `a${h}`, h + 1) : new InstantGpus(64, `g${h}`, 500);
  const agent = new Agent({ config, redisUrl: redisUrl!, devices, logger, telemetryIntervalMs: 1000 });
  await agent.start();
  agents.push(agent);
}
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  for (const a of agents) await a.stop();
  process.exit(0);
});

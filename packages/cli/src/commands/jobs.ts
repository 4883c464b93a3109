import type { Command } from 'commander';
import type { JobAccepted, JobView } from '@wattbroker/contracts';
import { parseDuration, parseNumber } from '../api/duration.js';
import { apiCommand, clientOf, print, table, type Write } from './api-command.js';

export function jobCommands(program: Command, write: Write): void {
  const jobs = program.command('jobs').description('GPU jobs: list, submit, cancel');
  apiCommand(jobs, 'list', 'jobs, newest first (GET /v1/jobs)')
    .option('--state <state>', 'queued, admitting, running, done, failed or cancelled')
    .option('--limit <n>', 'at most this many (default 100)', '100')
    .action(async (_o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      const limit = parseNumber(opts.limit, '--limit', { integer: true, min: 1 });
      const q = new URLSearchParams({ limit: String(limit), ...(opts.state ? { state: opts.state } : {}) });
      const list = await api.call<JobView[]>('GET', `/v1/jobs?${q}`);
      print(write, json, list, () => list.length === 0 ? 'no jobs' : table(['id', 'state', 'class', 'gpus', 'host', 'wait'],
        list.map((j) => [j.id, j.state, j.class, j.gpus, j.hostId ?? '', j.admissionWaitMs !== undefined ? `${(j.admissionWaitMs / 1000).toFixed(1)} s` : (j.waitReason ?? '')])));
    });
  apiCommand(jobs, 'submit', 'submit a GPU job (POST /v1/jobs; needs the tenant role)')
    .requiredOption('--gpus <n>', 'GPUs on one host')
    .option('--class <name>', 'gpu class of the priority list', 'standard')
    .option('--duration <d>', 'simulated run time, e.g. 90s, 10m')
    .option('--power-limit-w <w>', 'per-GPU power limit')
    .action(async (_o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      const body = {
        class: opts.class, gpus: parseNumber(opts.gpus, '--gpus', { integer: true, min: 1 }),
        ...(opts.duration ? { durationS: parseDuration(opts.duration, '--duration') / 1000 } : {}),
        ...(opts.powerLimitW ? { powerLimitW: parseNumber(opts.powerLimitW, '--power-limit-w', { min: 1 }) } : {}),
      };
      const job = await api.call<JobAccepted>('POST', '/v1/jobs', body);
      print(write, json, job, () => `job ${job.id} ${job.state}`);
    });
  apiCommand(jobs, 'cancel <id>', 'cancel a job (DELETE /v1/jobs/ID)')
    .action(async (id: string, _o, cmd: Command) => {
      const { api, json } = clientOf(cmd);
      const job = await api.call<JobView>('DELETE', `/v1/jobs/${encodeURIComponent(id)}`);
      print(write, json, job, () => `job ${job.id} ${job.state}`);
    });
}

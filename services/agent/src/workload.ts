import type { GpuJobSpec } from '@wattbroker/contracts';

/**
 * Run a job's workload: a simulated duration (divided by `speed`, like device physics in
 * the demo) or one HTTP call to an inference server on the host (e.g. an OpenAI-compatible
 * `/v1/chat/completions`); the job ends when it answers. Rejects on failure or abort.
 */
export async function runWorkload(job: GpuJobSpec, speed: number, signal: AbortSignal): Promise<void> {
  if (job.workload) {
    const w = job.workload;
    const res = await fetch(w.url, {
      method: w.method,
      headers: { 'content-type': 'application/json' },
      ...(w.method === 'POST' ? { body: JSON.stringify(w.body ?? {}) } : {}),
      signal: AbortSignal.any([signal, AbortSignal.timeout(w.timeoutS * 1000)]),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`inference server answered ${res.status} ${res.statusText}`);
    return;
  }
  const ms = ((job.durationS ?? 0) * 1000) / speed;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    }, { once: true });
  });
}

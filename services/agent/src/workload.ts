import type { GpuJobSpec } from '@wattbroker/contracts';
import { endpointUrl } from './endpoint-url.js';

type Workload = NonNullable<GpuJobSpec['workload']>;

export interface WorkloadLimits {
  /** The host file's inference endpoints by name: the only places a job's call may go. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Largest response read; a larger one fails the job. */
  readonly maxResponseBytes: number;
}

/**
 * Run a job's workload: a simulated duration (divided by `speed`, like device physics in
 * the demo) or one HTTP call to an inference server the host declares (e.g. an
 * OpenAI-compatible `/v1/chat/completions`); the job ends when it answers. The call goes
 * only to the named endpoint (a tenant must not make the agent fetch anything else on its
 * network): redirects are refused, not followed; the response is read up to
 * `maxResponseBytes` and the call aborted after `timeoutS`. Rejects on failure or abort,
 * with a message that quotes nothing of the response but its status.
 */
export async function runWorkload(job: GpuJobSpec, speed: number, signal: AbortSignal, limits: WorkloadLimits): Promise<void> {
  if (job.workload) return call(job.workload, signal, limits);
  const ms = ((job.durationS ?? 0) * 1000) / speed;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    }, { once: true });
  });
}

async function call(w: Workload, signal: AbortSignal, limits: WorkloadLimits): Promise<void> {
  const url = endpointUrl(limits.endpoints, w.endpoint, w.path);
  const timeout = AbortSignal.timeout(w.timeoutS * 1000);
  const both = AbortSignal.any([signal, timeout]);
  try {
    const res = await fetch(url, {
      method: w.method,
      headers: { 'content-type': 'application/json' },
      ...(w.method === 'POST' ? { body: JSON.stringify(w.body ?? {}) } : {}),
      redirect: 'manual',
      signal: both,
    });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      throw new Error(`inference endpoint "${w.endpoint}" answered a redirect (${res.status}): refused, redirects are not followed`);
    }
    await readCapped(res, limits.maxResponseBytes, w.endpoint);
    if (!res.ok) throw new Error(`inference endpoint "${w.endpoint}" answered ${res.status}`);
  } catch (e) {
    if (timeout.aborted && !signal.aborted) throw new Error(`inference endpoint "${w.endpoint}" did not answer within ${w.timeoutS} s`);
    throw e;
  }
}

/** Read (and drop) the body, failing as soon as it passes `max` bytes. */
async function readCapped(res: Response, max: number, endpoint: string): Promise<void> {
  const tooLarge = () => new Error(`inference endpoint "${endpoint}" answered more than ${max} bytes: refused`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return;
  const reader = res.body.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw tooLarge();
    }
  }
}

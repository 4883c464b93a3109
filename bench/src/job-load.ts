/**
 * The admission benchmark's load generator, in a process of its own (as tenants are):
 * submits COUNT jobs of 1 GPU × 0.5 s at RATE per second to the API and prints one JSON line
 * per accepted job with the time it sent the request, on the shared wall clock
 * (performance.timeOrigin + performance.now(), sub-millisecond), then {"done":true}.
 * usage: job-load.ts API_URL TOKEN RATE COUNT
 */
const [api, token, rateRaw, countRaw] = process.argv.slice(2);
const rate = Number(rateRaw);
const count = Number(countRaw);
const wallNow = () => performance.timeOrigin + performance.now();

const start = performance.now();
const pending: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  const wait = start + (i * 1000) / rate - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  pending.push((async () => {
    const t0 = wallNow();
    const res = await fetch(`${api}/v1/jobs`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ gpus: 1, durationS: 0.5 }),
    });
    const body = (await res.json()) as { id?: string; detail?: string };
    process.stdout.write(JSON.stringify(body.id ? { id: body.id, t0 } : { refused: body.detail ?? res.status }) + '\n');
  })());
}
await Promise.all(pending);
process.stdout.write('{"done":true}\n');

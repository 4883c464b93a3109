import type { SiteSample } from '@wattbroker/contracts';
import type { RouteContext } from './context.js';

/** How much history a new stream starts with (the dashboard's chart window). */
const HISTORY_MS = 10 * 60_000;

/**
 * `GET /v1/stream`: Server-Sent Events for live views (the dashboard). On connect one `history`
 * event with the recorded site samples of the last 10 minutes, then one `sample` event per site
 * sample (once a second) as the leader records it. Authenticated like every `/v1` route, with
 * the Authorization header (the dashboard reads it with fetch, not EventSource, so the token
 * never goes into a URL or an access log).
 */
export function streamRoutes({ r, s, view }: RouteContext): void {
  r.get('/v1/stream', view, async (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const onSample = (x: SiteSample) => send('sample', x);
    // Keep-alive comments, so proxies and the browser do not drop an idle stream.
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    let listening = false;
    const close = () => {
      clearInterval(ping);
      if (!listening) return;
      listening = false;
      s.off('sample', onSample);
      s.setMaxListeners(s.getMaxListeners() - 1);
    };
    // The response's close (the client went away), not the request's: a request closes as soon
    // as its body has been read, which for a GET with a body would be at once.
    res.on('close', close);
    const now = Date.now();
    const history = await s.store.samples(now - HISTORY_MS, now).catch(() => [] as SiteSample[]);
    if (res.writableEnded || res.destroyed) {
      close();
      if (!res.writableEnded) res.end();
      return;
    }
    send('history', history);
    // One listener per open dashboard: many are expected, not a leak.
    s.setMaxListeners(s.getMaxListeners() + 1);
    listening = true;
    s.on('sample', onSample);
  });
}

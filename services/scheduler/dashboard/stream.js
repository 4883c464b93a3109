import { token } from './api.js';

/**
 * The scheduler's live stream (`GET /v1/stream`, Server-Sent Events) read with fetch, so the
 * token goes in the Authorization header as everywhere else. Reconnects after a drop; `onState`
 * hears true (streaming) or false (down, with the status code when the server refused).
 */
export function openStream(onEvent, onState) {
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const res = await fetch('/v1/stream', { headers: { authorization: `Bearer ${token.get()}`, accept: 'text/event-stream' } });
        if (!res.ok || !res.body) {
          onState(false, res.status);
        } else {
          onState(true);
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done || stopped) break;
            buf += value;
            let i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              let event = 'message';
              const data = [];
              for (const line of block.split('\n')) {
                if (line.startsWith('event:')) event = line.slice(6).trim();
                else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
              }
              if (data.length) onEvent(event, JSON.parse(data.join('\n')));
            }
          }
          onState(false);
        }
      } catch {
        onState(false);
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
  return { stop: () => { stopped = true; } };
}

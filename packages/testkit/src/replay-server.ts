import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/**
 * Serves recorded miner replies (one JSON file per command, e.g. test/fixtures/luxos) over
 * the LuxOS transport: read one JSON request, answer with the recording + NUL, close. Joined
 * commands (`a+b`) get `{"a":[…],"b":[…],"id":1}` built from the recordings. Unknown
 * commands get the firmware's "Invalid command". Lets the driver and CLI be tested against
 * exactly what a real miner said.
 */
export async function startReplayServer(dir: string | URL): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const recordings = new Map<string, unknown>();
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.json')) recordings.set(f.replace('.json', ''), JSON.parse(readFileSync(new URL(f, dirUrl(dir)), 'utf8')));
  }
  const invalid = (when: number) => ({ STATUS: [{ STATUS: 'E', When: when, Code: 14, Msg: 'Invalid command', Description: 'replay' }], id: 1 });
  const server = createServer((socket) => {
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let req: { command?: string; parameter?: string };
      try {
        req = JSON.parse(buf) as typeof req;
      } catch {
        return; // not complete yet
      }
      const when = Math.floor(Date.now() / 1000);
      const name = (c: string) => (req.parameter !== undefined && recordings.has(`${c}_${req.parameter}`) ? `${c}_${req.parameter}` : c);
      const cmd = req.command ?? '';
      let reply: unknown;
      if (cmd.includes('+')) {
        reply = Object.fromEntries(cmd.split('+').map((c) => [c, [recordings.get(c) ?? invalid(when)]]));
        (reply as Record<string, unknown>).id = 1;
      } else reply = recordings.get(name(cmd)) ?? invalid(when);
      socket.end(JSON.stringify(reply) + '\0');
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function dirUrl(dir: string | URL): URL {
  if (dir instanceof URL) return dir.href.endsWith('/') ? dir : new URL(`${dir.href}/`);
  return new URL(`file://${dir.endsWith('/') ? dir : `${dir}/`}`);
}

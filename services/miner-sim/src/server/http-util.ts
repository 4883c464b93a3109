import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small HTTP helpers for the emulator's control endpoints. */

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      data += c;
      if (data.length > 65536) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** The body as a JSON object, or undefined after answering 400. */
export async function readJsonObject(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    problem(res, 400, 'invalid JSON body', 'the body must be a JSON object');
    return undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    problem(res, 400, 'invalid body', 'the body must be a JSON object');
    return undefined;
  }
  return body as Record<string, unknown>;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** RFC 9457 problem details; `field` names the bad input, and `detail` starts with it. */
export function problem(res: ServerResponse, status: number, title: string, detail: string, field?: string): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' })
    .end(JSON.stringify({ type: 'about:blank', title, status, detail, ...(field ? { field } : {}) }));
}

import { CliError, EXIT } from '../cli-error.js';

/** Where the API is and who we are: flags win over WATTBROKER_URL / WATTBROKER_TOKEN. */
export interface ApiOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** The scheduler's REST API over fetch; problem+json answers become one readable line. */
export class ApiClient {
  readonly base: string;
  private readonly token: string | undefined;

  constructor(o: ApiOptions, env: NodeJS.ProcessEnv = process.env) {
    const url = o.url ?? env.WATTBROKER_URL ?? 'http://127.0.0.1:8080';
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`--url: not a URL: "${url}" (e.g. http://127.0.0.1:8080)`, EXIT.usage);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`--url: expected http:// or https://, got "${url}"`, EXIT.usage);
    this.base = url.replace(/\/+$/, '');
    this.token = o.token ?? env.WATTBROKER_TOKEN;
  }

  /** A GET of one page of a list: its JSON and the next page's cursor. */
  async raw(path: string): Promise<{ body: unknown; next: string | null }> {
    let next: string | null = null;
    const body = await this.call('GET', path, undefined, 'application/json', (h) => (next = h.get('x-next-cursor')));
    return { body, next };
  }

  /** One request; the parsed JSON answer (or text for non-JSON), or a CliError naming the problem. */
  async call<T = unknown>(method: string, path: string, body?: unknown, accept = 'application/json', headers?: (h: Headers) => void): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          accept,
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach the scheduler at ${this.base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, EXIT.failure);
    }
    const text = await res.text();
    if (!res.ok) throw problemError(method, path, res.status, res.headers.get('content-type'), text, !this.token);
    headers?.(res.headers);
    if (res.status === 204 || text === '') return undefined as T;
    return ((res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T;
  }
}

/** Exit code of a refused request: 5 for 4xx (fix the request), 1 for 5xx (try later). */
function problemError(method: string, path: string, status: number, type: string | null, text: string, noToken: boolean): CliError {
  let line = `${status} ${text.slice(0, 200)}`;
  if (type?.includes('json')) {
    try {
      const p = JSON.parse(text) as { title?: string; detail?: string; errors?: Array<{ field: string; message: string }> };
      const more = (p.errors?.length ?? 0) > 1 ? ` (+${p.errors!.length - 1} more: ${p.errors!.slice(1).map((e) => `${e.field}: ${e.message}`).join('; ')})` : '';
      line = `${status} ${p.title ?? 'Error'}: ${p.detail ?? ''}${more}`;
    } catch {
      // not JSON after all: the raw text above
    }
  }
  const hint = status === 401 && noToken ? ' — set WATTBROKER_TOKEN (or --token)' : '';
  return new CliError(`${method} ${path}: ${line}${hint}`, status >= 500 ? EXIT.failure : EXIT.refused);
}

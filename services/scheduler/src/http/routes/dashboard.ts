import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { RouteContext } from './context.js';

/**
 * Where the dashboard's files are: services/scheduler/dashboard/ (the same depth from
 * src/http/routes and dist/http/routes), or dashboard/ beside bin/ in the bundled package.
 */
function dashboardDir(): string {
  const candidates = [new URL('../../../dashboard/', import.meta.url), new URL('../dashboard/', import.meta.url)].map((u) => fileURLToPath(u));
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`dashboard files not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** uPlot (the chart) as its package ships it, no frontend build step; the bundle carries a copy in dashboard/vendor/uplot. */
function uplotDir(dashboard: string): string {
  const copied = join(dashboard, 'vendor', 'uplot');
  if (existsSync(copied)) return copied;
  return join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
}

/**
 * `GET /`: the live dashboard (docs/dashboard.md). Its files hold no data and need no token;
 * the page asks for one and sends it with every API call. The policy keeps the page to its own
 * origin (scripts, styles, the API and the stream).
 */
export function dashboardRoutes({ r }: RouteContext): void {
  const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
  const headers = (res: express.Response) => {
    res.set('content-security-policy', csp);
    res.set('x-content-type-options', 'nosniff');
    res.set('referrer-policy', 'no-referrer');
  };
  const dashboard = dashboardDir();
  r.use('/vendor/uplot', express.static(uplotDir(dashboard), { index: false, setHeaders: headers }));
  r.use('/', express.static(dashboard, { index: 'index.html', setHeaders: headers }));
}

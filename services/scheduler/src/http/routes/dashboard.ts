import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { RouteContext } from './context.js';

/** The dashboard's files (services/scheduler/dashboard/): the same depth from src/http/routes and dist/http/routes. */
const DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url));
/** uPlot (the chart) as its package ships it: no frontend build step. */
const UPLOT_DIR = `${dirname(createRequire(import.meta.url).resolve('uplot/package.json'))}/dist`;

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
  r.use('/vendor/uplot', express.static(UPLOT_DIR, { index: false, setHeaders: headers }));
  r.use('/', express.static(DASHBOARD_DIR, { index: 'index.html', setHeaders: headers }));
}

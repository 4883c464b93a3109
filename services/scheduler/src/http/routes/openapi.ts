import type { Router } from 'express';
import { openApiDocument } from '../openapi/document.js';
import { referencePage } from '../openapi/reference-page.js';

/**
 * The API's own description, without a token (it holds no site data) and on a standby too:
 * `/v1/openapi.json` (OpenAPI 3.1) and `/v1/reference` (the same as an HTML page). Built once.
 */
export function openApiRoutes(r: Router, version: string): void {
  const doc = openApiDocument(version);
  const html = referencePage(doc);
  r.get('/v1/openapi.json', (_req, res) => void res.json(doc));
  r.get('/v1/reference', (_req, res) => void res.type('html').send(html));
}

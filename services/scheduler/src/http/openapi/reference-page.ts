/**
 * The API reference as one self-contained HTML page, rendered on the server from the OpenAPI
 * document: no script, no stylesheet or font from elsewhere, so it works on a site network
 * without internet. Schemas are shown as the JSON Schema the document holds.
 */
type Json = Record<string, any>;

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const code = (x: unknown) => `<pre>${esc(JSON.stringify(x, null, 2))}</pre>`;

function operationHtml(path: string, method: string, op: Json): string {
  const params = (op.parameters ?? []) as Json[];
  const role = op['x-role'] ? `role <b>${esc(op['x-role'])}</b>` : 'no token';
  const rows = params.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td><code>${esc(JSON.stringify(p.schema))}</code>${p.description ? ` ${esc(p.description)}` : ''}</td></tr>`).join('');
  const body = op.requestBody?.content?.['application/json']?.schema;
  const responses = Object.entries(op.responses as Json).map(([status, r]: [string, Json]) => {
    const types = Object.keys(r.content ?? {});
    const schema = r.content?.['application/json']?.schema;
    return `<li><b>${esc(status)}</b> ${esc(r.description)}${types.length ? ` <small>(${types.map(esc).join(', ')})</small>` : ''}${schema && Object.keys(schema).length ? `<details><summary>schema</summary>${code(schema)}</details>` : ''}</li>`;
  }).join('');
  return `<section id="${esc(op.operationId)}"><h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary)} · ${role}</p>
${rows ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${rows}</table>` : ''}
${body ? `<details><summary>request body (application/json)</summary>${code(body)}</details>` : ''}
<ul>${responses}</ul></section>`;
}

export function referencePage(doc: Json): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(ops as Json)) {
      const tag = (op as Json).tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(path, method, op as Json)]);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} ${esc(doc.info.version)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}h3{margin:1.4rem 0 .3rem}
pre{background:#f5f5f5;padding:.6rem;overflow:auto;font-size:12px}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
.m{display:inline-block;min-width:4.2em;text-align:center;color:#fff;border-radius:3px;font-size:13px;padding:1px 4px}.get{background:#2b7bb9}.post{background:#2a9d55}.put{background:#c77c02}.patch{background:#8a5cc2}.delete{background:#c0392b}</style></head>
<body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description)}</p>
<p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p>
${[...byTag].map(([tag, html]) => `<h2>${esc(tag)}</h2>${html.join('\n')}`).join('\n')}
</body></html>`;
}

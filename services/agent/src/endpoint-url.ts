/**
 * The URL of a job's call: the named endpoint's base URL with the job's path under it. The
 * path's schema already excludes what could leave the base (dot segments, `//`, encoded
 * slashes); this checks the result again after URL parsing, so that a path the schema
 * missed can still only fail, never reach another origin or a path outside the base.
 */
export function endpointUrl(endpoints: Readonly<Record<string, string>>, name: string, path: string): URL {
  const base = Object.hasOwn(endpoints, name) ? endpoints[name] : undefined;
  if (base === undefined) {
    const known = Object.keys(endpoints);
    throw new Error(`workload.endpoint: "${name}" is not an endpoint of this host (${known.length ? known.map((k) => `"${k}"`).join(', ') : 'it declares none'})`);
  }
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error('workload.path: must start with a single /');
  const b = new URL(base);
  const basePath = b.pathname.replace(/\/+$/, '');
  const url = new URL(`${b.origin}${basePath}${path}`);
  if (url.origin !== b.origin || !(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`)) || url.username || url.password) {
    throw new Error(`workload.path: leaves endpoint "${name}"`);
  }
  return url;
}

#!/usr/bin/env node
// Production build: one self-contained ES module per program (scheduler, agent, site emulator,
// CLI), bundled by esbuild with every dependency inside, so a host needs only Node.js (no
// clone, no pnpm, no node_modules). Output: dist/wattbroker/ (bin/*.mjs and a package.json with
// their `bin` entries, infra/ and docs/deployment.md; `npm install -g ./dist/wattbroker` puts
// them on PATH) and, with --pack,
// the same as an npm tarball dist/wattbroker-<version>.tgz. See docs/deployment.md.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'wattbroker');
const { version, engines, license } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version0 = JSON.parse(readFileSync(join(root, 'services/scheduler/package.json'), 'utf8')).version ?? version ?? '0.0.0';

const programs = {
  wattbroker: 'packages/cli/src/main.ts',
  'wattbroker-scheduler': 'services/scheduler/src/main.ts',
  'wattbroker-agent': 'services/agent/src/main.ts',
  'wattbroker-miner-sim': 'services/miner-sim/src/main.ts',
};

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'bin'), { recursive: true });
const started = Date.now();
await build({
  entryPoints: Object.fromEntries(Object.entries(programs).map(([name, src]) => [name, join(root, src)])),
  outdir: join(out, 'bin'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  // Workspace packages from their TypeScript sources (no `pnpm build` needed first).
  conditions: ['development'],
  // CommonJS dependencies (express, ioredis, pino) call require() for Node built-ins.
  banner: { js: "import { createRequire as __wbCreateRequire } from 'node:module'; const require = __wbCreateRequire(import.meta.url);" },
  // Optional native add-ons their packages load in try/catch and do without: msgpackr's
  // faster decoder (BullMQ) and serialport (modbus-serial's RTU; we speak Modbus TCP only).
  external: ['msgpackr-extract', 'serialport', '@serialport/*'],
  legalComments: 'linked',
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const name of Object.keys(programs)) chmodSync(join(out, 'bin', `${name}.mjs`), 0o755);
// What an operator installs with: systemd units, env and config examples, Redis settings, the guide.
cpSync(join(root, 'infra'), join(out, 'infra'), { recursive: true });
// The scheduler's dashboard page and the chart library it serves (the bundle finds them in
// dashboard/ beside bin/, and uPlot in dashboard/vendor/uplot).
cpSync(join(root, 'services', 'scheduler', 'dashboard'), join(out, 'dashboard'), { recursive: true });
cpSync(join(dirname(createRequire(join(root, 'services', 'scheduler', 'package.json')).resolve('uplot/package.json')), 'dist'), join(out, 'dashboard', 'vendor', 'uplot'), { recursive: true });
mkdirSync(join(out, 'docs'));
cpSync(join(root, 'docs', 'deployment.md'), join(out, 'docs', 'deployment.md'));
cpSync(join(root, 'README.md'), join(out, 'README.md'));
cpSync(join(root, 'LICENSE'), join(out, 'LICENSE'));
writeFileSync(join(out, 'package.json'), `${JSON.stringify({
  name: 'wattbroker', version: version0, description: 'wattbroker scheduler, agent, site emulator and CLI, bundled (no dependencies)',
  license: license ?? 'Apache-2.0', type: 'module', engines,
  bin: Object.fromEntries(Object.keys(programs).map((n) => [n, `bin/${n}.mjs`])),
  files: ['bin', 'dashboard', 'infra', 'docs', 'README.md', 'LICENSE'],
}, null, 2)}\n`);
process.stdout.write(`bundles: ${Object.keys(programs).map((n) => `dist/wattbroker/bin/${n}.mjs`).join(', ')} in ${Date.now() - started} ms\n`);
if (process.argv.includes('--pack')) {
  const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', join(root, 'dist'), out], { encoding: 'utf8' }).trim();
  process.stdout.write(`package: dist/${tgz}\n`);
}

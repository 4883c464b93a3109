import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRedis, type EmbeddedRedis } from '@wattbroker/bus';
import { HostConfigSchema, generateToken, tokenEntry } from '@wattbroker/contracts';
import { freePort, freePortRange, repoRoot, spawnProgram, waitFor, type Child } from '@wattbroker/testkit';

const run = promisify(execFile);
const TOKEN = generateToken();

/** `KEY=VALUE` lines of an EnvironmentFile (comments and blank lines skipped). */
function envFile(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

const directive = (unit: string, key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

/**
 * The deployment kit end to end: `pnpm build:bundles --pack` makes an npm tarball of the
 * bundled programs; it is installed into an empty prefix outside the repository (no
 * node_modules, nothing of the workspace), and from there alone: the site emulator plays 6
 * LuxOS miners, `wattbroker hosts discover` finds them on loopback and writes host files, the
 * scheduler and an agent with the discovered file start, and the CLI sees the host live.
 */
describe('bundled programs from the build output alone (processes, private Redis)', () => {
  let dir: string;
  let bin: string;
  let redis: EmbeddedRedis;
  const children: Child[] = [];
  const env = () => ({ PATH: `${bin}:${process.env.PATH}`, NODE_PATH: '', NODE_OPTIONS: '' });
  const wattbroker = async (args: string[], extra: Record<string, string> = {}) => {
    try {
      const r = await run(join(bin, 'wattbroker'), args, { cwd: dir, env: { ...process.env, ...env(), ...extra }, timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, stdout: x.stdout, stderr: x.stderr };
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wattbroker-bundles-'));
    const built = await run(process.execPath, ['scripts/build-bundles.mjs', '--pack'], { cwd: repoRoot, timeout: 180_000 });
    const tgz = /package: (dist\/\S+\.tgz)/.exec(built.stdout)![1]!;
    // Installed as a user would on a host: the tarball into a prefix of its own, outside the repo.
    await run('npm', ['install', '--global', '--prefix', join(dir, 'prefix'), '--offline', '--no-audit', '--no-fund', join(repoRoot, tgz)], { cwd: dir, timeout: 120_000 });
    bin = join(dir, 'prefix', 'bin');
    redis = await startEmbeddedRedis({ dir: join(dir, 'redis'), appendOnly: false });
  }, 300_000);
  afterAll(async () => {
    for (const c of children.reverse()) await c.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('installs four programs with no node_modules of their own', () => {
    expect(readdirSync(bin).sort()).toEqual(['wattbroker', 'wattbroker-agent', 'wattbroker-miner-sim', 'wattbroker-scheduler']);
    const pkg = join(dir, 'prefix', 'lib', 'node_modules', 'wattbroker');
    expect(existsSync(join(pkg, 'node_modules'))).toBe(false);
    expect(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).dependencies).toBeUndefined();
  });

  /** A shipped unit with its install paths moved into the test's folder (/opt/wattbroker → the prefix, /etc/wattbroker → etc/). */
  const unit = (name: string, instance = '') => readFileSync(join(dir, 'prefix', 'lib', 'node_modules', 'wattbroker', 'infra', 'systemd', name), 'utf8')
    .replaceAll('/opt/wattbroker', join(dir, 'prefix')).replaceAll('/etc/wattbroker', join(dir, 'etc')).replaceAll('%i', instance);
  const shipped = (name: string) => readFileSync(join(dir, 'prefix', 'lib', 'node_modules', 'wattbroker', 'infra', name), 'utf8');

  it('ships systemd units that run the bundles as the wattbroker user with their settings from EnvironmentFiles', async () => {
    const scheduler = unit('wattbroker-scheduler.service');
    const agent = unit('wattbroker-agent@.service', 'asic-1');
    for (const u of [scheduler, agent]) {
      expect(directive(u, 'User')).toEqual(['wattbroker']);
      expect(directive(u, 'ExecStart')[0]!.split(' ')[0]).toMatch(new RegExp(`^${join(dir, 'prefix', 'bin')}/wattbroker-(scheduler|agent)$`));
    }
    expect(directive(scheduler, 'EnvironmentFile')).toEqual([join(dir, 'etc', 'scheduler.env')]);
    // Common settings, then this host's own Redis user (what `wattbroker acl generate` writes).
    expect(directive(agent, 'EnvironmentFile')).toEqual([join(dir, 'etc', 'agent.env'), join(dir, 'etc', 'redis', 'asic-1.env')]);
    expect(shipped('systemd/wattbroker.sysusers.conf')).toMatch(/^u wattbroker /m);
    // The env examples give the Redis URL with credentials, which the programs take from there.
    expect(envFile(shipped('scheduler.env.example')).WATTBROKER_REDIS_URL).toMatch(/^redis:\/\/[^:]+:[^@]+@/);
    expect(envFile(shipped('agent.env.example')).WATTBROKER_REDIS_URL).toMatch(/^redis:\/\/[^:]+:[^@]+@/);
    // systemd's own check of the units (syntax, and that ExecStart is an executable).
    const analyze = await run('systemd-analyze', ['--version']).then(() => true, () => false);
    if (!analyze) return void console.warn('systemd-analyze not on PATH: units checked by the assertions above only');
    mkdirSync(join(dir, 'units'), { recursive: true });
    writeFileSync(join(dir, 'units', 'wattbroker-scheduler.service'), scheduler);
    writeFileSync(join(dir, 'units', 'wattbroker-agent@asic-1.service'), agent);
    const verified = await run('systemd-analyze', ['verify', join(dir, 'units', 'wattbroker-scheduler.service'), join(dir, 'units', 'wattbroker-agent@asic-1.service')]).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }));
    expect(verified.out).toBe('');
    expect(verified.code).toBe(0);
  }, 60_000);

  it('discovers the emulated miners, and the bundled scheduler and agent bring the host live', async () => {
    let base = 0;
    for (let attempt = 0; ; attempt++) {
      base = await freePortRange(8);
      const sim = spawnProgram(join(bin, 'wattbroker-miner-sim'), ['--miners', '6', '--base-port', String(base + 1), '--truth-port', String(base), '--speed', '20', '--boot', '20'], { cwd: dir, env: env() });
      try {
        await sim.waitForLine(/listening/);
        children.push(sim);
        break;
      } catch (e) {
        await sim.stop();
        if (attempt >= 3 || !/EADDRINUSE/.test((e as Error).message)) throw e;
      }
    }
    // The scan covers the truth port (HTTP, not LuxOS) and a port nothing listens on: neither is a miner.
    const found = await wattbroker(['hosts', 'discover', '--cidr', '127.0.0.1/32', '--ports', `${base}-${base + 7}`, '--per-host', '4', '--out', join(dir, 'etc', 'hosts'), '--concurrency', '4', '--timeout', '1s', '--json']);
    expect(found.stderr).toBe('');
    expect(found.code).toBe(0);
    const result = JSON.parse(found.stdout) as { found: Array<{ port: number; model: string }>; files: string[]; probed: number };
    expect(result.probed).toBe(8);
    expect(result.found.map((m) => m.port)).toEqual([1, 2, 3, 4, 5, 6].map((i) => base + i));
    expect(result.files.map((f) => f.slice(-11))).toEqual(['asic-1.json', 'asic-2.json']);
    const files = result.files.map((f) => HostConfigSchema.parse(JSON.parse(readFileSync(f, 'utf8'))));
    expect(files.map((f) => (f.kind === 'asic' ? f.miners.length : 0))).toEqual([4, 2]);

    // Started as the units start them: their ExecStart, with the shipped env examples; only the
    // site's values (this Redis, which has no password; a free port; the cap; a token) differ.
    const port = await freePort();
    const [schedulerBin, ...schedulerArgs] = directive(unit('wattbroker-scheduler.service'), 'ExecStart')[0]!.split(' ');
    const scheduler = spawnProgram(schedulerBin!, schedulerArgs, {
      cwd: dir, env: {
        ...env(), ...envFile(shipped('scheduler.env.example')), WATTBROKER_REDIS_URL: redis.url, WATTBROKER_HOST: '127.0.0.1', WATTBROKER_PORT: String(port),
        WATTBROKER_CAP_KW: '30', WATTBROKER_MARGIN_KW: '1', WATTBROKER_API_TOKENS: tokenEntry('bundle-test', 'operator', TOKEN), LOG_LEVEL: 'warn',
      },
    });
    children.push(scheduler);
    await scheduler.waitForLine(/API on/);
    // The dashboard and its chart library come with the package.
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('vendor/uplot/uPlot.iife.min.js');
    expect((await fetch(`http://127.0.0.1:${port}/vendor/uplot/uPlot.iife.min.js`).then(async (r) => [r.status, (await r.text()).length]))[0]).toBe(200);
    for (const hostId of ['asic-1', 'asic-2']) {
      const [agentBin, ...agentArgs] = directive(unit('wattbroker-agent@.service', hostId), 'ExecStart')[0]!.split(' ');
      children.push(spawnProgram(agentBin!, [...agentArgs, '--speed', '20'], { cwd: dir, env: { ...env(), ...envFile(shipped('agent.env.example')), WATTBROKER_REDIS_URL: redis.url, LOG_LEVEL: 'warn' } }));
    }
    const cliEnv = { WATTBROKER_URL: `http://127.0.0.1:${port}`, WATTBROKER_TOKEN: TOKEN };
    await waitFor('both discovered hosts live', async () => {
      const r = await wattbroker(['hosts', 'list', '--json'], cliEnv);
      const hosts = r.code === 0 ? (JSON.parse(r.stdout) as Array<{ hostId: string; silent: boolean; devices: number }>) : [];
      return hosts.length === 2 && hosts.every((h) => !h.silent) && hosts.map((h) => h.devices).join() === '4,2';
    }, { timeoutMs: 60_000, intervalMs: 500 });
    const site = JSON.parse((await wattbroker(['site', '--json'], cliEnv)).stdout) as { power: { asicKw: number }; contract: { capKw: number } };
    expect(site.contract.capKw).toBe(30);
    expect(site.power.asicKw).toBeGreaterThan(0);
  }, 120_000);
});

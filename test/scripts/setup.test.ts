import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_SERVER_HOWTO } from '@wattbroker/bus';
import { repoRoot, spawnTs } from '@wattbroker/testkit';

/** A PATH holding only node (and, if asked, a stand-in redis-server): no apt-get, no sudo. */
const bins: string[] = [];
function barePath(withRedis = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'wattbroker-path-'));
  bins.push(dir);
  symlinkSync(process.execPath, join(dir, 'node'));
  if (withRedis) {
    writeFileSync(join(dir, 'redis-server'), '#!/bin/sh\necho "Redis server v=7 (stand-in)"\n');
    chmodSync(join(dir, 'redis-server'), 0o755);
  }
  return dir;
}
afterAll(() => {
  for (const d of bins) rmSync(d, { recursive: true, force: true });
});

/** Source scripts/lib/setup.sh and run one of its steps with the given PATH. */
function setupStep(step: string, path: string) {
  return spawnSync('/bin/bash', ['-c', `. scripts/lib/setup.sh && ${step}`], {
    cwd: repoRoot, env: { PATH: path, HOME: tmpdir() }, encoding: 'utf8',
  });
}

describe('set-up of a fresh machine (scripts/lib/setup.sh)', () => {
  it('prints the same redis-server how-to as the demo and the embedded Redis launcher', () => {
    const script = readFileSync(join(repoRoot, 'scripts/lib/setup.sh'), 'utf8');
    expect(/^wb_redis_howto='([^']*)'$/m.exec(script)?.[1]).toBe(REDIS_SERVER_HOWTO);
  });

  it('stops with one line saying how to install redis-server where it cannot install it', () => {
    const r = setupStep("wb_redis demo ', or pass --redis URL'", barePath());
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`demo: ${REDIS_SERVER_HOWTO}, or pass --redis URL\n`);
    expect(r.stderr).toMatch(/Debian\/Ubuntu: sudo apt-get install -y redis-server; Fedora: sudo dnf install -y redis; macOS: brew install redis/);
  });

  it('does nothing when redis-server is on PATH', () => {
    const r = setupStep("wb_redis test ''", barePath(true));
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toBe('');
  });

  it('stops with one line saying how to install chromium where it cannot, and finds one on PATH', () => {
    const r = setupStep('wb_chromium test', barePath());
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^test: chromium not found on PATH .*Debian\/Ubuntu: sudo apt-get install -y chromium.* or set CHROMIUM to a Chromium or Chrome binary\n$/);
    const dir = barePath();
    writeFileSync(join(dir, 'chromium'), '#!/bin/sh\n');
    chmodSync(join(dir, 'chromium'), 0o755);
    const ok = setupStep('wb_chromium test && echo "$CHROMIUM"', dir);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(`${join(dir, 'chromium')}\n`);
  });

  it('installs a missing package with apt-get (a stand-in here) and finds its command afterwards', () => {
    const dir = barePath();
    for (const tool of ['id', 'env']) symlinkSync(`/usr/bin/${tool}`, join(dir, tool));
    // apt-get as the real one behaves for `install -y -qq PKG`: afterwards PKG is a command on PATH.
    writeFileSync(join(dir, 'apt-get'), `#!/bin/sh\n[ "$1" = install ] || exit 0\nfor p; do :; done\nprintf '#!/bin/sh\\n' > "${dir}/$p" && /bin/chmod +x "${dir}/$p"\n`);
    chmodSync(join(dir, 'apt-get'), 0o755);
    const r = setupStep('wb_chromium test && echo "$CHROMIUM"', dir);
    if (process.getuid?.() === 0) {
      expect(r.stderr).toBe('test: installing chromium (apt-get install -y chromium)\n');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${join(dir, 'chromium')}\n`);
    } else {
      // Not root and no sudo on this PATH: the how-to, not an attempt.
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/chromium not found on PATH/);
    }
  });

  it('reads the pinned pnpm version and accepts this Node', () => {
    const r = setupStep('wb_node test && echo "$wb_pnpm_version"', `${dirname(process.execPath)}:/usr/bin:/bin`);
    expect(r.stderr).toBe('');
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { packageManager: string };
    expect(`pnpm@${r.stdout.trim()}`).toBe(pkg.packageManager);
  });
});

describe('pnpm demo without redis-server on PATH', () => {
  it('prints the one-line how-to (no stack trace) and exits 1', async () => {
    const demo = spawnTs('services/demo/src/main.ts', ['--duration', '5'], { PATH: barePath() });
    expect(await demo.exited).toBe(1);
    expect(demo.lines).toEqual([]);
    expect(demo.stderr()).toBe(`demo: ${REDIS_SERVER_HOWTO}, or pass --redis URL\n`);
  }, 30_000);
});

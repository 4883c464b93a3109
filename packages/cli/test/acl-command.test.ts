import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort, openRedis, startEmbeddedRedis } from '@wattbroker/bus';
import { KEYS, telemetryStream } from '@wattbroker/contracts';
import { runCli } from './run-cli.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'wattbroker-acl-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const envUrl = (file: string) => /^WATTBROKER_REDIS_URL=(\S+)$/m.exec(readFileSync(file, 'utf8'))![1]!;

describe('wattbroker acl generate (the real CLI, a real redis-server)', () => {
  it('writes an ACL file Redis loads and per-host credentials that reach only their own keys', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'hosts.json'), JSON.stringify(['asic-1', 'gpu-1']));
    const port = await freeLoopbackPort();
    const out = join(dir, 'acl');
    const run = await runCli(['acl', 'generate', '--hosts', join(dir, 'hosts.json'), '--out', out, '--redis-url', `redis://127.0.0.1:${port}`]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const f of ['users.acl', 'scheduler.env', 'agents/asic-1.env', 'agents/gpu-1.env']) {
      expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
    }
    const acl = readFileSync(join(out, 'users.acl'), 'utf8');
    const schedulerUrl = envUrl(join(out, 'scheduler.env'));
    const agentUrl = envUrl(join(out, 'agents', 'asic-1.env'));
    // Only hashes in the ACL file; the output names no password.
    const password = decodeURIComponent(new URL(agentUrl).password);
    expect(password).toMatch(/^[0-9a-f]{64}$/);
    expect(acl).not.toContain(password);
    expect(run.stdout).not.toContain(password);

    const redis = await startEmbeddedRedis({ port, appendOnly: false, acl: { file: join(out, 'users.acl'), user: 'scheduler', password: decodeURIComponent(new URL(schedulerUrl).password) } });
    const agent = openRedis(agentUrl, { maxRetriesPerRequest: 0 });
    const scheduler = openRedis(schedulerUrl, { maxRetriesPerRequest: 0 });
    const anonymous = openRedis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
    anonymous.on('error', () => undefined);
    try {
      await scheduler.set(KEYS.epoch, '42');
      expect(await agent.get(KEYS.epoch)).toBe('42');
      expect(await agent.xadd(telemetryStream('asic-1'), '*', 'v', '{}')).toBeTruthy();
      await expect(agent.xadd(telemetryStream('gpu-1'), '*', 'v', '{}')).rejects.toThrow(/NOPERM/);
      await expect(agent.set(KEYS.epoch, '43')).rejects.toThrow(/NOPERM/);
      await expect(anonymous.get(KEYS.epoch)).rejects.toThrow(/NOAUTH|WRONGPASS/);
    } finally {
      agent.disconnect();
      scheduler.disconnect();
      anonymous.disconnect();
      await redis.stop();
    }

    // Again: refused without --force (it would change every password), done with it.
    const again = await runCli(['acl', 'generate', '--hosts', join(dir, 'hosts.json'), '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/users\.acl exists: give --force/);
    const forced = await runCli(['acl', 'generate', '--hosts', join(dir, 'hosts.json'), '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(envUrl(join(out, 'agents', 'asic-1.env'))).not.toBe(agentUrl);
  }, 60_000);

  it('refuses a bad hosts file or URL naming the field, and writes nothing', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(['asic-1', 'gpu*', 'asic-1']));
    const bad = await runCli(['acl', 'generate', '--hosts', join(dir, 'bad.json'), '--out', join(dir, 'out')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid hosts file/);
    expect(bad.stderr).toMatch(/\[1\]: letters, digits and \. _ - only/);
    expect(bad.stderr).toMatch(/\[2\]: duplicate host id "asic-1"/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(['asic-1']));
    const url = await runCli(['acl', 'generate', '--hosts', join(dir, 'ok.json'), '--out', join(dir, 'out'), '--redis-url', 'redis://u:p@127.0.0.1:6379']);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/--redis-url: give it without credentials/);
    expect(() => statSync(join(dir, 'out'))).toThrow();
  }, 60_000);
});

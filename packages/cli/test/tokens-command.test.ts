import { describe, expect, it } from 'vitest';
import { hashToken, parseTokenEntries } from '@wattbroker/contracts';
import { runCli } from './run-cli.js';

describe('wattbroker tokens (real CLI process)', () => {
  it('generates a 32+ character token and its entry, which the scheduler\'s parser accepts and which holds only the hash', async () => {
    const r = await runCli(['tokens', 'generate', '--name', 'alice', '--role', 'operator']);
    expect(r.code).toBe(0);
    const token = /^token (\S+)$/m.exec(r.stdout)![1]!;
    const entry = /^entry (\S+)$/m.exec(r.stdout)![1]!;
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(entry).toBe(`alice:operator:${hashToken(token)}`);
    expect(entry).not.toContain(token);
    expect(parseTokenEntries(entry, 'test')).toEqual([{ name: 'alice', role: 'operator', sha256: hashToken(token) }]);
  });

  it('hashes a token read from standard input', async () => {
    const token = 'a-token-that-is-long-enough-0123456789';
    const r = await runCli(['tokens', 'hash', '--name', 'bob', '--role', 'tenant'], 60_000, `${token}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`bob:tenant:${hashToken(token)}`);
  });

  it('refuses a short token or the documentation\'s example without echoing it, and a bad role or name', async () => {
    const short = await runCli(['tokens', 'hash', '--name', 'bob', '--role', 'tenant'], 60_000, 'short-secret-123\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 32 characters/);
    expect(short.stderr).not.toContain('short-secret-123');
    const example = await runCli(['tokens', 'hash', '--name', 'bob', '--role', 'tenant'], 60_000, 'CHANGE-ME-operator-token-padded-to-32-chars\n');
    expect(example.code).toBe(2);
    expect(example.stderr).toMatch(/example token/);
    expect((await runCli(['tokens', 'generate', '--name', 'bob', '--role', 'root'])).stderr).toMatch(/--role: one of viewer, tenant, operator/);
    expect((await runCli(['tokens', 'generate', '--name', 'a:b', '--role', 'viewer'])).stderr).toMatch(/--name: /);
  }, 60_000);
});

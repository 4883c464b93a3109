import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('wattbroker --help and usage errors', () => {
  it('lists every command, the environment and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['site', 'hosts list', 'hosts discover', 'jobs list', 'jobs submit', 'jobs cancel <id>', 'grid events', 'grid add', 'grid delete <id>', 'grid report <id>',
      'priorities get', 'priorities set <file>', 'devices list', 'devices pin <id> [profile]', 'devices maintenance <id> <on|off>', 'contract set', 'watch', 'plan', 'fleet', 'miner', 'meter']) {
      expect(r.stdout).toContain(`\n  ${c}`);
    }
    expect(r.stdout).toMatch(/WATTBROKER_TOKEN/);
    expect(r.stdout).toMatch(/5 {2}the API refused the request/);
  }, 30_000);

  it('exits 2 on an unknown command, a missing flag or a bad value, naming it', async () => {
    const unknown = await runCli(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'bogus'/);
    const missing = await runCli(['jobs', 'submit']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--gpus <n>' not specified/);
    const both = await runCli(['grid', 'add', '--cap-kw', '10', '--shed-kw', '5', '--for', '1m']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('wattbroker: give exactly one of --cap-kw or --shed-kw\n');
    const url = await runCli(['site', '--url', 'ftp://x']);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/--url: expected http:\/\/ or https:\/\//);
    const cidr = await runCli(['hosts', 'discover', '--cidr', '10.0.0.0/8']);
    expect(cidr.code).toBe(2);
    expect(cidr.stderr).toMatch(/--cidr: .*at most a \/16/);
  }, 30_000);
});

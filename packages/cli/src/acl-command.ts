import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SCHEDULER_USER, aclFile, agentUser, newCredentials, withCredentials } from '@wattbroker/bus';
import { HostIdSchema } from '@wattbroker/contracts';
import { ACL_USAGE } from './acl-usage.js';
import { CliError, EXIT } from './cli-error.js';
import { readJsonFile } from './read-json-file.js';

const HostsFileSchema = z.array(HostIdSchema).min(1).superRefine((ids, ctx) => {
  const seen = new Set<string>();
  ids.forEach((h, i) => {
    if (seen.has(h)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate host id "${h}"` });
    seen.add(h);
  });
});

function redisUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new CliError(`--redis-url: not a URL: "${text}"`, EXIT.usage);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new CliError(`--redis-url: expected redis:// or rediss://, got ${u.protocol}//`, EXIT.usage);
  if (u.username || u.password) throw new CliError('--redis-url: give it without credentials (each user\'s are put in its own file)', EXIT.usage);
  return text;
}

export async function aclCommand(argv: string[], write: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        hosts: { type: 'string' }, out: { type: 'string' }, 'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
        force: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${ACL_USAGE}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    write(ACL_USAGE + '\n');
    return EXIT.ok;
  }
  const [sub, ...extra] = positionals;
  if (sub !== 'generate') throw new CliError(`${sub === undefined ? 'a subcommand is required' : `unknown subcommand "${sub}"`}: expected "generate"\n${ACL_USAGE}`, EXIT.usage);
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`, EXIT.usage);
  if (!values.hosts) throw new CliError(`--hosts is required\n${ACL_USAGE}`, EXIT.usage);
  if (!values.out) throw new CliError(`--out is required\n${ACL_USAGE}`, EXIT.usage);
  const base = redisUrl(values['redis-url']);
  const hosts = await readJsonFile(values.hosts, HostsFileSchema, 'hosts file');
  const out = values.out;
  if (existsSync(join(out, 'users.acl')) && !values.force) {
    throw new CliError(`${join(out, 'users.acl')} exists: give --force to replace it (every password changes)`, EXIT.usage);
  }
  const creds = newCredentials(hosts);
  // Owner-only: these files hold the passwords (users.acl only their hashes).
  mkdirSync(join(out, 'agents'), { recursive: true, mode: 0o700 });
  const secret = (path: string, text: string) => {
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600); // also when --force replaces a file made otherwise
  };
  secret(join(out, 'users.acl'), aclFile(creds));
  secret(join(out, 'scheduler.env'), `WATTBROKER_REDIS_URL=${withCredentials(base, SCHEDULER_USER, creds.scheduler)}\n`);
  for (const [h, pw] of creds.agents) secret(join(out, 'agents', `${h}.env`), `WATTBROKER_REDIS_URL=${withCredentials(base, agentUser(h), pw)}\n`);
  write(`wrote ${join(out, 'users.acl')} (${hosts.length + 1} users), ${join(out, 'scheduler.env')} and ${hosts.length} agent files in ${join(out, 'agents')}/\n`);
  write('load it with the aclfile directive (redis.conf) and ACL LOAD on a running Redis; see docs/security.md\n');
  return EXIT.ok;
}

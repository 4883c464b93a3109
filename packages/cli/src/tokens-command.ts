import { parseArgs } from 'node:util';
import { ROLES, TokenNameSchema, generateToken, tokenEntry, weakTokenReason, type Role } from '@wattbroker/contracts';
import { CliError, EXIT } from './cli-error.js';

export const TOKENS_USAGE = `usage: wattbroker tokens generate --name NAME --role viewer|tenant|operator
       wattbroker tokens hash --name NAME --role viewer|tenant|operator   < token

API tokens for the scheduler. The scheduler keeps only their SHA-256, as name:role:sha256hex
entries in WATTBROKER_API_TOKENS, WATTBROKER_API_TOKENS_FILE or the config file's apiTokens.
  generate   a new random token (43 characters) and its entry; the token is shown once
  hash       the entry of a token read from standard input (never an argument: a process
             list would show it); tokens need 32+ characters`;

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => {
      s += d;
      if (s.length > 4096) reject(new CliError('standard input: longer than a token (4096+ characters)', EXIT.usage));
    });
    process.stdin.on('end', () => resolve(s));
    process.stdin.on('error', reject);
  });
}

export async function tokensCommand(argv: string[], write: (s: string) => void, stdin: () => Promise<string> = readStdin): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'generate' && sub !== 'hash') throw new CliError(TOKENS_USAGE, EXIT.usage);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: { name: { type: 'string' }, role: { type: 'string' } }, strict: true }));
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${TOKENS_USAGE}`, EXIT.usage);
  }
  const name = TokenNameSchema.safeParse(values.name ?? '');
  if (!name.success) throw new CliError(`--name: ${name.error.issues[0]!.message}`, EXIT.usage);
  if (!(ROLES as readonly string[]).includes(values.role ?? '')) throw new CliError(`--role: one of ${ROLES.join(', ')}`, EXIT.usage);
  const role = values.role as Role;
  if (sub === 'generate') {
    const token = generateToken();
    write(`token ${token}\nentry ${tokenEntry(name.data, role, token)}\n`);
    return EXIT.ok;
  }
  const token = (await stdin()).replace(/\r?\n$/, '');
  const weak = weakTokenReason(token);
  if (weak) throw new CliError(`token on standard input: ${weak}`, EXIT.usage);
  write(`${tokenEntry(name.data, role, token)}\n`);
  return EXIT.ok;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly ready: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Start one of the repo's services as a real process (TypeScript sources through tsx). Its
 * output goes to `<logDir>/<name>.log`; `ready` resolves with the first stdout line matching
 * `readyLine` and rejects if the process exits first.
 */
export function startService(name: string, entry: string, args: string[], env: NodeJS.ProcessEnv, logDir: string, readyLine?: RegExp): Proc {
  const log: WriteStream = createWriteStream(`${logDir}/${name}.log`);
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', entry, ...args], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      log.write(line + '\n');
      if (!readyLine || readyLine.test(line)) resolve(line);
    });
    if (!readyLine) resolve('');
    void exited.then((code) => reject(new Error(`${name} exited with code ${code} before it was ready; see ${logDir}/${name}.log`)));
  });
  ready.catch(() => undefined);
  return {
    name, child, ready,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}

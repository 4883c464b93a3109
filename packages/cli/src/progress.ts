/**
 * A progress bar on a terminal (stderr), nothing otherwise: output that is piped or captured
 * (and `--json` on stdout) stays clean.
 */
export function progressBar(stream: NodeJS.WriteStream & { isTTY?: boolean }): { update(fraction: number, label: string): void; done(): void } {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = '';
  return {
    update(fraction, label) {
      const width = 30;
      const f = Math.min(1, Math.max(0, fraction));
      const fill = Math.round(f * width);
      const line = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.floor(f * 100)).padStart(3)} % ${label}`;
      if (line !== last) stream.write(`\r${line}\u001b[K`);
      last = line;
    },
    done() {
      if (last) stream.write('\r\u001b[K');
    },
  };
}

/**
 * Finds where one request ends in a byte stream, the way a real miner must: clients send
 * pretty-printed multi-line JSON with no newline, compact JSON with no newline (then wait
 * for EOF), or one line ending in `\n`; some send the old `command|parameter` text form.
 * JSON is complete when its outer braces balance (outside strings, minding escapes); we
 * never wait for a newline or a half-close to answer it.
 */
export type ScanResult =
  | { kind: 'incomplete' }
  | { kind: 'json'; text: string }
  | { kind: 'text'; text: string };

export class RequestScanner {
  private buffer = '';
  private pos = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;

  push(chunk: string): ScanResult {
    this.buffer += chunk;
    for (; this.pos < this.buffer.length; this.pos++) {
      const c = this.buffer[this.pos]!;
      if (!this.started) {
        if (/\s/.test(c)) continue;
        if (c !== '{' && c !== '[') return this.textResult(false);
        this.started = true;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
      } else if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) return { kind: 'json', text: this.buffer.slice(0, this.pos + 1) };
      }
    }
    return { kind: 'incomplete' };
  }

  /** The peer closed or went quiet: whatever arrived is the request. */
  flush(): ScanResult {
    if (this.buffer.trim() === '') return { kind: 'incomplete' };
    return this.started ? { kind: 'json', text: this.buffer } : this.textResult(true);
  }

  private textResult(final: boolean): ScanResult {
    const nl = this.buffer.indexOf('\n');
    if (nl >= 0) return { kind: 'text', text: this.buffer.slice(0, nl).trim() };
    return final ? { kind: 'text', text: this.buffer.trim() } : { kind: 'incomplete' };
  }
}

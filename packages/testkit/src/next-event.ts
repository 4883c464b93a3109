import type { EventEmitter } from 'node:events';

/**
 * Resolve with the next event `name` whose arguments satisfy `match` (the first argument is
 * returned), or reject after `timeoutMs`. Tests wait on what the system says it did, not on
 * the clock.
 */
export function nextEvent<T = unknown>(
  emitter: EventEmitter, name: string, match: (arg: T) => boolean = () => true, timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, on);
      reject(new Error(`no "${name}" event matching within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (arg: T) => {
      if (!match(arg)) return;
      clearTimeout(timer);
      emitter.off(name, on);
      resolve(arg);
    };
    emitter.on(name, on);
  });
}

/**
 * Scratch memory for `prepare`'s temporaries (tens of MB for 100k distinct tables), lent from
 * one call to the next.
 *
 * Every fresh typed array costs page faults to zero it and counts towards the engine's next
 * full collection (one per ~64 MB allocated, a few hundred ms in a process with a large heap).
 * The buffers are held through weak references: planners built in a burst (a floored plan,
 * a benchmark loop, a controller rebuilding and solving in one go) share them, and a full
 * collection between bursts gives the memory back.
 *
 * A buffer's contents are whatever the last user left: callers write before they read.
 */
const buffers = new Map<string, WeakRef<ArrayBuffer>>();

export function scratchBuffer(name: string, bytes: number): ArrayBuffer {
  let buffer = buffers.get(name)?.deref();
  if (!buffer || buffer.byteLength < bytes) {
    buffer = new ArrayBuffer(bytes);
    buffers.set(name, new WeakRef(buffer));
  }
  return buffer;
}

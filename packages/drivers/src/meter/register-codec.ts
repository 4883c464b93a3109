import { registerWords, type MeterRegisterMap } from '@wattbroker/contracts';

/**
 * Register words ↔ numbers, as meters lay them out: each 16-bit register big-endian on the
 * wire, a 32-bit value in two registers whose order `wordOrder` gives. The value is in the
 * register's own unit; `scale` turns it into watts. The driver decodes, the emulated meter
 * encodes, with the same code, so both sides of the test agree only if the layout is right.
 */
export function decodeRegisters(words: readonly number[], map: Pick<MeterRegisterMap, 'type' | 'wordOrder'>): number {
  const n = registerWords(map.type);
  if (words.length !== n) throw new RangeError(`a ${map.type} needs ${n} register(s), got ${words.length}`);
  const buf = Buffer.alloc(n * 2);
  const ordered = n === 2 && map.wordOrder === 'little' ? [words[1]!, words[0]!] : words;
  ordered.forEach((w, i) => buf.writeUInt16BE(w & 0xffff, i * 2));
  switch (map.type) {
    case 'float32': return buf.readFloatBE(0);
    case 'int32': return buf.readInt32BE(0);
    case 'uint32': return buf.readUInt32BE(0);
    case 'int16': return buf.readInt16BE(0);
    case 'uint16': return buf.readUInt16BE(0);
  }
}

/** The register words holding `value` (in the register's unit); integers are rounded and clamped to the type. */
export function encodeRegisters(value: number, map: Pick<MeterRegisterMap, 'type' | 'wordOrder'>): number[] {
  const n = registerWords(map.type);
  const buf = Buffer.alloc(n * 2);
  const int = (min: number, max: number) => (Number.isNaN(value) ? 0 : Math.min(max, Math.max(min, Math.round(value))));
  switch (map.type) {
    case 'float32': buf.writeFloatBE(value, 0); break;
    case 'int32': buf.writeInt32BE(int(-0x80000000, 0x7fffffff), 0); break;
    case 'uint32': buf.writeUInt32BE(int(0, 0xffffffff), 0); break;
    case 'int16': buf.writeInt16BE(int(-0x8000, 0x7fff), 0); break;
    case 'uint16': buf.writeUInt16BE(int(0, 0xffff), 0); break;
  }
  const words = Array.from({ length: n }, (_, i) => buf.readUInt16BE(i * 2));
  return n === 2 && map.wordOrder === 'little' ? [words[1]!, words[0]!] : words;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METER_REGISTER_TYPES } from '@wattbroker/contracts';
import { decodeRegisters, encodeRegisters } from '../src/index.js';

describe('register codec', () => {
  it('lays out values as meters do: big-endian registers, word order for 32-bit values', () => {
    expect(encodeRegisters(230, { type: 'float32', wordOrder: 'big' })).toEqual([0x4366, 0x0000]);
    expect(encodeRegisters(230, { type: 'float32', wordOrder: 'little' })).toEqual([0x0000, 0x4366]);
    expect(encodeRegisters(-2, { type: 'int32', wordOrder: 'big' })).toEqual([0xffff, 0xfffe]);
    expect(encodeRegisters(70000, { type: 'uint32', wordOrder: 'little' })).toEqual([0x1170, 0x0001]);
    expect(encodeRegisters(-1, { type: 'int16', wordOrder: 'little' })).toEqual([0xffff]);
    expect(decodeRegisters([0x4250, 0x7070], { type: 'float32', wordOrder: 'big' })).toBeCloseTo(52.11, 2);
    expect(decodeRegisters([0x8000], { type: 'int16', wordOrder: 'big' })).toBe(-32768);
    expect(decodeRegisters([0x8000], { type: 'uint16', wordOrder: 'big' })).toBe(32768);
  });

  it('clamps integers to their type and refuses a wrong number of words', () => {
    expect(encodeRegisters(1e6, { type: 'uint16', wordOrder: 'big' })).toEqual([0xffff]);
    expect(encodeRegisters(-5, { type: 'uint32', wordOrder: 'big' })).toEqual([0, 0]);
    expect(() => decodeRegisters([1], { type: 'float32', wordOrder: 'big' })).toThrow('a float32 needs 2 register(s), got 1');
  });

  it('round-trips every type and word order', () => {
    fc.assert(fc.property(
      fc.constantFrom(...METER_REGISTER_TYPES), fc.constantFrom('big' as const, 'little' as const), fc.integer({ min: -40000, max: 4_000_000 }),
      (type, wordOrder, n) => {
        const map = { type, wordOrder };
        const expected = type === 'float32' ? Math.fround(n / 7) : Math.min(
          { int32: 0x7fffffff, uint32: 0xffffffff, int16: 0x7fff, uint16: 0xffff }[type], Math.max({ int32: -0x80000000, uint32: 0, int16: -0x8000, uint16: 0 }[type], n),
        );
        expect(decodeRegisters(encodeRegisters(type === 'float32' ? n / 7 : n, map), map)).toBe(expected);
      },
    ));
  });
});

import { describe, expect, it } from 'vitest';
import { InputError, METER_PRESETS, MeterConfigSchema, MeterRegisterMapSchema, parseInput } from '../src/index.js';

function fieldsOf(schema: typeof MeterConfigSchema | typeof MeterRegisterMapSchema, value: unknown): string[] {
  try {
    parseInput(schema, value, 'meter.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).issues.map((i) => i.field).sort();
  }
  throw new Error('expected a validation error');
}

describe('meter config', () => {
  it('fills in a preset and the defaults', () => {
    const c = parseInput(MeterConfigSchema, { host: '10.0.0.5', preset: 'pm5xxx' }, 'meter.json');
    expect(c).toEqual({
      host: '10.0.0.5', port: 502, unitId: 1, preset: 'pm5xxx', timeoutMs: 2000, minW: 0, maxW: 100e6,
      registerMap: { function: 'holding', address: 3059, type: 'float32', wordOrder: 'big', scale: 1000 },
    });
    expect(parseInput(MeterConfigSchema, { host: 'm', preset: 'sdm630' }, 'x').registerMap).toEqual(METER_PRESETS.sdm630);
  });

  it('takes a register map of its own, with word order and scale defaulted', () => {
    const c = parseInput(MeterConfigSchema, { host: 'm', unitId: 255, registerMap: { function: 'input', address: 100, type: 'int32' } }, 'x');
    expect(c.registerMap).toEqual({ function: 'input', address: 100, type: 'int32', wordOrder: 'big', scale: 1 });
  });

  it('refuses a bad register map naming each field', () => {
    expect(fieldsOf(MeterConfigSchema, {
      host: 'm', registerMap: { function: 'coil', address: -1, type: 'float64', wordOrder: 'middle', scale: 0, offset: 3 },
    })).toEqual(['registerMap.address', 'registerMap.function', 'registerMap.offset', 'registerMap.scale', 'registerMap.type', 'registerMap.wordOrder']);
    expect(fieldsOf(MeterRegisterMapSchema, { function: 'holding', address: 65535, type: 'float32' })).toEqual(['address']);
    expect(fieldsOf(MeterRegisterMapSchema, { function: 'holding', address: '3059', type: 'float32' })).toEqual(['address']);
  });

  it('needs exactly one of preset and registerMap, a known preset, a unit id and a sane range', () => {
    expect(fieldsOf(MeterConfigSchema, { host: 'm' })).toEqual(['preset']);
    expect(fieldsOf(MeterConfigSchema, { host: 'm', preset: 'sdm630', registerMap: METER_PRESETS.sdm630 })).toEqual(['registerMap']);
    expect(fieldsOf(MeterConfigSchema, { host: 'm', preset: 'sdm120' })).toEqual(['preset']);
    expect(fieldsOf(MeterConfigSchema, { host: '', preset: 'sdm630', unitId: 256, port: 0, timeoutMs: 0 })).toEqual(['host', 'port', 'timeoutMs', 'unitId']);
    expect(fieldsOf(MeterConfigSchema, { host: 'm', preset: 'sdm630', minW: 5, maxW: 5 })).toEqual(['maxW']);
  });

  it('says what is wrong in words', () => {
    expect(() => parseInput(MeterConfigSchema, { host: 'm', registerMap: { function: 'input', address: 65535, type: 'uint32', scale: 0 } }, 'meter.json'))
      .toThrow('meter.json: registerMap.scale: must be a finite number other than 0; registerMap.address: a uint32 at 65535 would end at register 65536, past 65535');
  });
});

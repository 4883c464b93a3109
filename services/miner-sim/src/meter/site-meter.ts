import { registerWords, type MeterRegisterMap } from '@wattbroker/contracts';
import { mulberry32, type Rng } from '@wattbroker/core';
import { encodeRegisters } from '@wattbroker/drivers';
import { ModbusTcpServer, type RegisterBank } from './modbus-tcp-server.js';

/** A revenue meter is not exact: ±0.2 % (uniform) by default, inside class 0.5 accuracy. */
export const DEFAULT_METER_NOISE_PCT = 0.2;

export interface SiteMeterOptions {
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  readonly registerMap: MeterRegisterMap;
  /** The true site power now, W. */
  readonly powerW: () => number;
  /** Reading error, ± percent (uniform). @defaultValue DEFAULT_METER_NOISE_PCT */
  readonly noisePct?: number;
  readonly seed?: number;
}

/**
 * A register bank holding one value, the site's active power, at the map's address and in
 * its encoding (type, word order, unit via scale). Every request samples the power once, so
 * the words of one reply always belong together. Other registers do not exist (exception 02).
 */
export function sitePowerBank(map: MeterRegisterMap, sample: () => number): RegisterBank {
  const n = registerWords(map.type);
  return {
    read(table, address, count) {
      if (table !== map.function || address < map.address || address + count > map.address + n) return undefined;
      const words = encodeRegisters(sample() / map.scale, map);
      return words.slice(address - map.address, address - map.address + count);
    },
  };
}

/** The emulated meter at the point of connection: a Modbus TCP server serving the site's power. */
export function createSiteMeter(o: SiteMeterOptions): ModbusTcpServer {
  const noise = (o.noisePct ?? DEFAULT_METER_NOISE_PCT) / 100;
  const rng: Rng = mulberry32((o.seed ?? 1) ^ 0x6d657465);
  const sample = () => o.powerW() * (1 + noise * (2 * rng() - 1));
  return new ModbusTcpServer({ host: o.host, port: o.port, unitId: o.unitId, bank: sitePowerBank(o.registerMap, sample) });
}

import { parseArgs } from 'node:util';
import { METER_PRESET_NAMES, METER_PRESETS, MeterRegisterMapSchema, type MeterPresetName, type MeterRegisterMap } from '@wattbroker/contracts';
import { MeterError, ModbusMeter } from '@wattbroker/drivers';
import { CliError, EXIT } from './cli-error.js';
import { fmt } from './format.js';
import { readJsonFile } from './read-json-file.js';

const MODBUS_TCP_PORT = 502;

export const METER_USAGE = `usage: wattbroker meter HOST[:PORT] (--preset NAME | --register-map FILE) [--unit-id N] [--timeout S] [--json]

Read the site's active power from a meter at the point of connection, over Modbus TCP
(port ${MODBUS_TCP_PORT} by default).
  --preset NAME        a known meter: ${METER_PRESET_NAMES.map((n) => `${n} (${describeMap(METER_PRESETS[n])})`).join(', ')}
  --register-map FILE  a JSON register map: {"function": "holding"|"input", "address": N,
                       "type": "float32"|"int32"|"uint32"|"int16"|"uint16", "wordOrder": "big"|"little", "scale": W_PER_UNIT}
  --unit-id N          Modbus unit id, 0..255 (default 1)
  --timeout S          per read, connection included (default 2)
  --json               {"powerW", "words", "address", "unitId", "registerMap", "elapsedMs"}
Exit codes: 0 ok; 1 meter unreachable, silent, refused (Modbus exception) or its value out of range; 2 bad usage or register map.`;

function describeMap(m: MeterRegisterMap): string {
  const unit = m.scale === 1 ? 'W' : m.scale === 1000 ? 'kW' : `× ${m.scale} W`;
  return `${m.function} ${m.address}, ${m.type} ${unit}`;
}

function parseMeterAddress(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  const port = m?.[2] === undefined ? MODBUS_TCP_PORT : Number(m[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CliError(`bad meter address "${text}": expected HOST or HOST:PORT`, EXIT.usage);
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export async function meterCommand(argv: string[], write: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        preset: { type: 'string' }, 'register-map': { type: 'string' }, 'unit-id': { type: 'string', default: '1' },
        timeout: { type: 'string', default: '2' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${METER_USAGE}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    write(METER_USAGE + '\n');
    return EXIT.ok;
  }
  const [address, ...extra] = positionals;
  if (!address) throw new CliError(`meter address is required\n${METER_USAGE}`, EXIT.usage);
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"`, EXIT.usage);
  if ((values.preset === undefined) === (values['register-map'] === undefined)) {
    throw new CliError(`give exactly one of --preset (${METER_PRESET_NAMES.join(', ')}) or --register-map FILE`, EXIT.usage);
  }
  if (values.preset !== undefined && !(METER_PRESET_NAMES as string[]).includes(values.preset)) {
    throw new CliError(`--preset: unknown meter "${values.preset}" (known: ${METER_PRESET_NAMES.join(', ')})`, EXIT.usage);
  }
  const unitId = Number(values['unit-id']);
  if (!Number.isInteger(unitId) || unitId < 0 || unitId > 255) throw new CliError(`--unit-id: expected a whole number 0..255, got "${values['unit-id']}"`, EXIT.usage);
  const timeoutS = Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS < 0.01 || timeoutS > 60) throw new CliError(`--timeout: expected seconds 0.01..60, got "${values.timeout}"`, EXIT.usage);
  const registerMap = values['register-map'] !== undefined
    ? await readJsonFile(values['register-map'], MeterRegisterMapSchema, 'register map')
    : undefined;
  const { host, port } = parseMeterAddress(address);
  const meter = new ModbusMeter({
    host, port, unitId, timeoutMs: Math.round(timeoutS * 1000),
    ...(registerMap ? { registerMap } : { preset: values.preset as MeterPresetName }),
  });
  try {
    const r = await meter.read();
    const map = meter.config.registerMap;
    const source = values.preset ?? values['register-map'];
    if (values.json) {
      write(JSON.stringify({ powerW: r.powerW, words: r.words, address: meter.address, unitId, registerMap: map, elapsedMs: r.elapsedMs }) + '\n');
    } else {
      write(`${meter.address} unit ${unitId} (${source}: ${describeMap(map)}): ${fmt(r.powerW / 1000, 3)} kW active power, read in ${r.elapsedMs} ms\n`);
    }
    return EXIT.ok;
  } catch (e) {
    if (e instanceof MeterError) throw new CliError(`${e.message} [${e.kind}]`, EXIT.failure);
    throw e;
  } finally {
    await meter.close();
  }
}

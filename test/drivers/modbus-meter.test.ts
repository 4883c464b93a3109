import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METER_PRESETS, type MeterRegisterMap } from '@wattbroker/contracts';
import { MeterError, ModbusMeter } from '@wattbroker/drivers';
import { DEFAULT_METER_NOISE_PCT, createSiteMeter, type ModbusTcpServer, type SimSite } from '@wattbroker/miner-sim';
import { startSim } from '../src/sim.js';

/**
 * The Modbus TCP meter driver (modbus-serial framing) against the emulated site meter (our
 * own MBAP framing) over real TCP: two implementations of the protocol that must agree.
 * Physics at 1×, so GPU load holds for 0.5 s and a read falls between two truth samples
 * that bracket it with at most one change.
 */
const NOISE = DEFAULT_METER_NOISE_PCT / 100;
const FLOAT_SLACK = 1e-6; // float32 keeps ~7 digits

describe('ModbusMeter against the emulated site meter', () => {
  let site: SimSite;
  const servers: ModbusTcpServer[] = [];
  const meters: ModbusMeter[] = [];

  async function serve(registerMap: MeterRegisterMap, unitId = 1): Promise<number> {
    const server = createSiteMeter({ host: '127.0.0.1', port: 0, unitId, registerMap, powerW: () => site.sitePowerW(), seed: 3 });
    servers.push(server);
    return server.start();
  }
  function meter(port: number, config: Record<string, unknown>): ModbusMeter {
    const m = new ModbusMeter({ host: '127.0.0.1', port, timeoutMs: 1000, ...config });
    meters.push(m);
    return m;
  }

  beforeAll(async () => {
    site = await startSim({
      miners: 5, models: ['s21', 's19kpro'], seed: 12, speed: 1,
      gpuHosts: [{ id: 'gpu-1', gpus: 2, model: 'h100', overheadW: 400 }, { id: 'gpu-2', gpus: 2, model: 'h100', overheadW: 400 }],
      cooling: { fraction: 0.15, fixedW: 3000 },
    });
  });
  afterAll(async () => {
    await Promise.all(meters.map((m) => m.close()));
    await Promise.all(servers.map((s) => s.stop()));
    await site.stop();
  });

  for (const preset of ['sdm630', 'pm5xxx'] as const) {
    describe(`preset ${preset}`, () => {
      it('reads the whole site\'s true power within the meter\'s noise while the site is idle (so within 1 %)', async () => {
        const m = meter(await serve(METER_PRESETS[preset]), { preset });
        const readings: number[] = [];
        for (let i = 0; i < 30; i++) {
          const truth = site.sitePowerW();
          const r = await m.read();
          const error = Math.abs(r.powerW / truth - 1);
          expect(error).toBeLessThanOrEqual(NOISE + FLOAT_SLACK);
          expect(error).toBeLessThan(0.01);
          readings.push(r.powerW);
        }
        expect(new Set(readings).size).toBeGreaterThan(1); // it is a noisy meter, not a copy of /truth
        expect(site.truth(false).site.sitePowerW).toBeGreaterThan(site.truth(false).totalPowerW); // GPUs, overhead and cooling are in it
      });

      it('follows bursty GPU load: each reading matches the truth just before or just after it', async () => {
        const m = meter(await serve(METER_PRESETS[preset]), { preset });
        const cards = site.gpuHosts.flatMap((h) => h.gpus);
        for (const g of cards) g.setBusy(true);
        try {
          for (let i = 0; i < 20; i++) {
            const before = site.sitePowerW();
            const { powerW } = await m.read();
            const after = site.sitePowerW();
            const near = (truth: number) => Math.abs(powerW / truth - 1) <= NOISE + FLOAT_SLACK;
            expect(near(before) || near(after), `${powerW} W vs ${before} / ${after} W`).toBe(true);
          }
        } finally {
          for (const g of cards) g.setBusy(false);
        }
      });
    });
  }

  it('agrees on a custom map: int32, low word first, in tenths of a watt, on input registers', async () => {
    const registerMap = { function: 'input', address: 4000, type: 'int32', wordOrder: 'little', scale: 0.1 } as const;
    const m = meter(await serve(registerMap), { registerMap });
    const truth = site.sitePowerW();
    expect(Math.abs((await m.read()).powerW / truth - 1)).toBeLessThanOrEqual(NOISE + 1e-4);
  });

  it('answers another unit id with exception 0B and a wrong register with exception 02', async () => {
    const port = await serve(METER_PRESETS.sdm630, 5);
    const wrongUnit = await meter(port, { preset: 'sdm630', unitId: 1 }).read().catch((e: unknown) => e as MeterError);
    expect(wrongUnit).toMatchObject({ kind: 'exception', exceptionCode: 11, retryable: true });
    const wrongRegister = await meter(port, { preset: 'pm5xxx', unitId: 5 }).read().catch((e: unknown) => e as MeterError);
    expect(wrongRegister).toMatchObject({ kind: 'exception', exceptionCode: 2, retryable: false });
    expect((await meter(port, { preset: 'sdm630', unitId: 5 }).read()).powerW).toBeGreaterThan(0);
  });

  it('speaks standard Modbus TCP on the wire: exceptions 01 and 03, and a non-Modbus frame closes the connection', async () => {
    const port = await serve(METER_PRESETS.sdm630);
    const exchange = (hex: string) => new Promise<{ reply: string; closed: boolean }>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect({ host: '127.0.0.1', port }, () => socket.write(Buffer.from(hex, 'hex')));
      const done = (closed: boolean) => {
        socket.destroy();
        resolve({ reply: Buffer.concat(chunks).toString('hex'), closed });
      };
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        if (Buffer.concat(chunks).length >= 9) done(false);
      });
      socket.on('close', () => done(true));
      socket.on('error', reject);
    });
    // Write Single Register (06): illegal function. Transaction 0x1234 is echoed.
    expect(await exchange('123400000006' + '01' + '06' + '0034' + '0001')).toEqual({ reply: '123400000003' + '01' + '86' + '01', closed: false });
    // Read 200 input registers: quantity outside 1..125.
    expect(await exchange('000100000006' + '01' + '04' + '0034' + '00c8')).toEqual({ reply: '000100000003' + '01' + '84' + '03', closed: false });
    // Protocol id 1 is not Modbus: the server hangs up without answering.
    expect(await exchange('000200010006' + '01' + '04' + '0034' + '0002')).toEqual({ reply: '', closed: true });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayServer } from '@wattbroker/testkit';
import { LuxosClient, MinerRefusedError } from '../src/index.js';

/** The driver against the replies recorded from a real LuxOS S19k Pro. */
describe('LuxOS driver on recorded replies', () => {
  let replay: Awaited<ReturnType<typeof startReplayServer>>;
  let client: LuxosClient;
  beforeAll(async () => {
    replay = await startReplayServer(new URL('../../../test/fixtures/luxos/', import.meta.url));
    client = new LuxosClient('127.0.0.1', replay.port, { retries: 0 });
  });
  afterAll(() => replay.close());

  it('reads identity', async () => {
    expect(await client.identity()).toEqual({
      model: 'Antminer S19k Pro', firmware: '2025.4.8.220305-57b389c7', apiVersion: '3.7',
      serial: 'JYZZB0UBDJABF06RB', hostname: 'UrlacherS19k', mac: '62:f7:5e:b7:10:46',
    });
  });

  it('reads telemetry: 1051 W, profile 290MHz, 59.8 TH/s, not ramping, awake', async () => {
    expect(await client.telemetry()).toEqual({
      model: 'Antminer S19k Pro', profile: '290MHz', powerW: 1051, hashrateThs: 59.75606,
      ramping: false, sleeping: false, waking: false, atmEnabled: true,
    });
  });

  it('reads the 25-profile table', async () => {
    const rows = await client.profiles();
    expect(rows).toHaveLength(25);
    expect(rows[0]).toEqual({ name: '190MHz', step: -16, frequencyMHz: 190, voltageV: 11.88, powerW: 784, hashrateThs: 39.2 });
    expect(rows.find((r) => r.name === 'default')).toMatchObject({ frequencyMHz: 590, powerW: 2794 });
  });

  it('reports a refused command with the miner\'s code and message', async () => {
    const err = await client.command('logon').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MinerRefusedError);
    expect(err).toMatchObject({ kind: 'refused', code: 14, msg: 'Invalid command' });
  });
});

import { describe, expect, it } from 'vitest';
import { nextEvent, rawRequest, replyJson } from '@wattbroker/testkit';
import type { MinerEvents, SimSite } from '../src/index.js';
import { request, startSim } from './helpers.js';

type Atm = MinerEvents['atm'][0];
type Answer = MinerEvents['command'][0];

/** What the emulated miners say they did: for tests to wait on instead of sleeping. */
describe('emulator events', () => {
  const withSite = async (opts: Parameters<typeof startSim>[0], fn: (site: SimSite) => Promise<void>) => {
    const site = await startSim(opts);
    try {
      await fn(site);
    } finally {
      await site.stop();
    }
  };
  const send = async (site: SimSite, command: string, parameter?: string) =>
    replyJson(await rawRequest(site.miners[0]!.port, request(command, parameter))) as Record<string, any>;

  it('reports every answer with its code, a join once per part', () =>
    withSite({ miners: 1, models: ['s19kpro'], seed: 3 }, async (site) => {
      const answers: Answer[] = [];
      site.miners[0]!.on('command', (a) => answers.push(a));
      const sid = (await send(site, 'logon')).SESSION[0].SessionID as string;
      await send(site, 'logon');
      await send(site, 'version+summary');
      await send(site, 'logoff', sid);
      expect(answers.map(({ command, code, status }) => ({ command, code, status }))).toEqual([
        { command: 'logon', code: 316, status: 'S' },
        { command: 'logon', code: 402, status: 'E' },
        { command: 'version', code: 22, status: 'S' },
        { command: 'summary', code: 11, status: 'S' },
        { command: 'logoff', code: expect.any(Number), status: 'S' },
      ]);
      expect(answers.every((a) => a.miner === 0 && a.id === site.miners[0]!.unit.id)).toBe(true);
    }));

  it('reports each ATM check every 30 simulated seconds: with ATM on it pulls an overclock back, off it leaves it', async () => {
    const clock = { now: Date.now(), wallMs: () => clock.now };
    await withSite({ miners: 1, models: ['s19kpro'], seed: 3, clock }, async (site) => {
      const miner = site.miners[0]!;
      const checks: Atm[] = [];
      miner.on('atm', (e) => checks.push(e));
      const overclock = async (atm: boolean) => {
        const sid = (await send(site, 'logon')).SESSION[0].SessionID as string;
        await send(site, 'atmset', `${sid},enabled=${atm}`);
        await send(site, 'profileset', `${sid},665MHz`);
        await send(site, 'logoff', sid);
      };
      await overclock(true);
      clock.now += 29_000;
      miner.truth();
      expect(checks).toEqual([]); // not due yet
      clock.now += 1000;
      expect(miner.truth().profile).toBe('default');
      expect(checks).toMatchObject([{ miner: 0, enabled: true, before: '665MHz', after: 'default', simTimeS: 30 }]);
      await overclock(false);
      clock.now += 30_000;
      expect(miner.truth().profile).toBe('665MHz');
      expect(checks.at(-1)).toMatchObject({ enabled: false, before: '665MHz', after: '665MHz', simTimeS: 60 });
    });
  });

  it('on a running clock, the ATM check comes on time while someone listens, with nobody reading the miner', () =>
    withSite({ miners: 2, models: ['s19kpro'], seed: 3, speed: 100 }, async (site) => {
      // 30 simulated seconds are 0.3 s here.
      const first = await nextEvent<Atm>(site.miners[1]!, 'atm', () => true, 5000);
      const second = await nextEvent<Atm>(site.miners[1]!, 'atm', () => true, 5000);
      expect(first.miner).toBe(1);
      expect(second.simTimeS - first.simTimeS).toBeGreaterThanOrEqual(30);
      expect(second.simTimeS - first.simTimeS).toBeLessThan(30 + 1 * 100); // at most ~1 s of wall time late
      expect(site.miners[1]!.listenerCount('atm')).toBe(0);
    }));
});

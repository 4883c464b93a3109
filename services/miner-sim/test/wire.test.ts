import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, replyJson } from '@wattbroker/testkit';
import type { SimSite } from '../src/index.js';
import { request, startSim } from './helpers.js';

type Reply = Record<string, any>;
const status = (r: Reply) => r.STATUS[0] as { STATUS: string; Code: number; Msg: string };

describe('LuxOS wire protocol', () => {
  let site: SimSite;
  let port: number;
  const send = async (command: string, parameter?: string): Promise<Reply> => replyJson(await rawRequest(port, request(command, parameter)));

  beforeAll(async () => {
    site = await startSim({ miners: 2, models: ['s19kpro'], seed: 3 });
    port = site.miners[0]!.port;
  });
  afterAll(() => site.stop());
  // A test that fails while logged on must not leave the next one facing a held session.
  afterEach(async () => {
    for (const m of site.miners) await rawRequest(m.port, request('kill'));
  });

  it.each([
    ['pretty-printed multi-line JSON, no newline', '{\n  "command": "version",\n  "parameter": ""\n}'],
    ['compact JSON, no newline', '{"command":"version"}'],
    ['newline-terminated JSON', '{"command":"version"}\n'],
    ['text form', 'version'],
    ['text form with newline', 'version\n'],
  ])('answers %s with compact JSON, one NUL, then closes', async (_, bytes) => {
    const r = await rawRequest(port, bytes);
    expect(r.closed).toBe(true);
    expect(r.text.endsWith('\0')).toBe(true);
    expect(r.text.indexOf('\0')).toBe(r.text.length - 1);
    expect(r.text).not.toContain('\n');
    const body = replyJson(r);
    expect(status(body)).toMatchObject({ STATUS: 'S', Code: 22 });
    expect(body.VERSION[0].Type).toBe('Antminer S19k Pro');
  });

  it('answers JSON without waiting for a newline or a half-close', async () => {
    const started = Date.now();
    const r = await rawRequest(port, '{"command":"summary"}', { waitMs: 2000 });
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('handles braces and escapes inside strings while framing', async () => {
    const r = replyJson(await rawRequest(port, '{"command":"profileget","parameter":"x}\\"{"}'));
    expect(status(r)).toMatchObject({ STATUS: 'E', Code: 404 });
    expect(status(r).Msg).toContain('x}"{');
  });

  it('text form carries a parameter after |', async () => {
    const r = replyJson(await rawRequest(port, 'profileget|default'));
    expect(r.PROFILE[0]['Profile Name']).toBe('default');
  });

  it('joins parameterless commands with +', async () => {
    const r = await send('version+summary');
    expect(Object.keys(r).sort()).toEqual(['id', 'summary', 'version']);
    expect(r.version[0].VERSION[0].API).toBe('3.7');
    expect(status(r.summary[0]).Code).toBe(11);
  });

  it('errors: unknown command 14, invalid JSON 23, missing parameter, unknown profile', async () => {
    expect(status(await send('bogus'))).toMatchObject({ STATUS: 'E', Code: 14 });
    expect(status(replyJson(await rawRequest(port, '{"command": "summary", }')))).toMatchObject({ STATUS: 'E', Code: 23 });
    expect(status(replyJson(await rawRequest(port, '{"command": "sum', { halfClose: true })))).toMatchObject({ STATUS: 'E', Code: 23 });
    expect(status(await send('profileget'))).toMatchObject({ STATUS: 'E', Code: 400 });
    expect(status(await send('profileget', 'turbo'))).toMatchObject({ STATUS: 'E', Code: 404 });
    expect(status(await send('profileset'))).toMatchObject({ STATUS: 'E', Code: 400 });
  });

  it('sessions: one at a time, 402 on a second logon, bad id refused, logoff ends it', async () => {
    const a = await send('logon');
    expect(status(a)).toMatchObject({ STATUS: 'S', Code: 316 });
    const sid = a.SESSION[0].SessionID as string;
    expect(sid).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(status(await send('logon'))).toMatchObject({ STATUS: 'E', Code: 402, Msg: 'Another session is active' });
    expect((await send('session')).SESSION[0].SessionID).toBe(sid);
    expect(status(await send('curtail', 'wrongid1,sleep'))).toMatchObject({ STATUS: 'E', Code: 403 });
    expect(status(await send('logoff', sid))).toMatchObject({ STATUS: 'S' });
    expect((await send('session')).SESSION[0].SessionID).toBe('');
    const b = await send('logon');
    expect(status(await send('kill'))).toMatchObject({ STATUS: 'S' });
    expect(status(await send('profileset', `${b.SESSION[0].SessionID},default`))).toMatchObject({ STATUS: 'E', Code: 403 });
  });

  it('sessions expire when idle and are refreshed by use (on a clock moved by hand)', async () => {
    const clock = { now: Date.now(), wallMs: () => clock.now };
    const own = await startSim({ miners: 1, models: ['s19kpro'], seed: 3, sessionTimeoutMs: 400, clock });
    try {
      const ownSend = async (command: string, parameter?: string): Promise<Reply> => replyJson(await rawRequest(own.miners[0]!.port, request(command, parameter)));
      const sid = (await ownSend('logon')).SESSION[0].SessionID as string;
      // Used every 250 ms, it outlives its 400 ms timeout.
      for (let i = 0; i < 3; i++) {
        clock.now += 250;
        expect(status(await ownSend('atmset', `${sid},enabled=true`))).toMatchObject({ STATUS: 'S' });
      }
      // Idle: still there at the timeout (reading the session does not refresh it), gone just after.
      clock.now += 400;
      expect((await ownSend('session')).SESSION[0].SessionID).toBe(sid);
      clock.now += 1;
      expect(status(await ownSend('profileset', `${sid},default`))).toMatchObject({ STATUS: 'E', Code: 403 });
      expect((await ownSend('session')).SESSION[0].SessionID).toBe('');
    } finally {
      await own.stop();
    }
  });

  it('profileset by name, relative step, and W / kW / THs targets', async () => {
    const sid = (await send('logon')).SESSION[0].SessionID as string;
    const set = async (sel: string) => (await send('profileset', `${sid},${sel}`)).PROFILE?.[0]?.Profile as string | undefined;
    expect(await set('default')).toBe('default');
    expect(await set('+2')).toBe('640MHz');
    expect(await set('-3')).toBe('565MHz');
    const profiles = (await send('profiles')).PROFILES as Array<Record<string, any>>;
    const fit = (key: string, limit: number) => profiles.filter((p) => p[key] <= limit).at(-1)!['Profile Name'];
    expect(await set('1500W')).toBe(fit('Watts', 1500));
    expect(await set('2.2kW')).toBe(fit('Watts', 2200));
    expect(await set('100THs')).toBe(fit('Hashrate', 100));
    expect(status(await send('profileset', `${sid},+40`))).toMatchObject({ STATUS: 'E', Code: 404 });
    expect(status(await send('profileset', `${sid},10W`))).toMatchObject({ STATUS: 'E', Code: 404 });
    expect((await send('config')).CONFIG[0].Profile).toBe(fit('Hashrate', 100));
    await send('logoff', sid);
  });

  it('curtail sleep / wakeup need a session and say what they did', async () => {
    const p2 = site.miners[1]!.port;
    const s2 = async (c: string, p?: string) => replyJson(await rawRequest(p2, request(c, p)));
    const sid = (await s2('logon')).SESSION[0].SessionID as string;
    expect((await s2('curtail', `${sid},sleep`)).CURTAIL[0].Action).toBe('sleep mode');
    expect((await s2('config')).CONFIG[0]).toMatchObject({ CurtailMode: 'Sleep', IsPowerSupplyOn: false });
    expect((await s2('curtail', `${sid},wakeup,mode=unsafe`)).CURTAIL[0].Action).toBe('wake up');
    expect(status(await s2('curtail', `${sid},nap`))).toMatchObject({ STATUS: 'E', Code: 405 });
    await s2('logoff', sid);
  });
});

import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LuxosClient, LuxosError, ReplyTooLargeError, UnknownProfileError, type LuxosClientOptions } from '@wattbroker/drivers';
import type { MinerEvents, SimSite } from '@wattbroker/miner-sim';
import { nextEvent } from '@wattbroker/testkit';
import { startSim } from '../src/sim.js';

type Atm = MinerEvents['atm'][0];
type Answer = MinerEvents['command'][0];

/**
 * The LuxOS driver against emulated miners over real TCP: every operation and every fault
 * mode. Physics run 20× faster than life (a 100 MHz ramp takes 0.5 s, a safe boot 2.25 s).
 */
describe('LuxOS driver against the emulator', () => {
  let site: SimSite;
  const client = (i: number, opts: LuxosClientOptions = {}) =>
    new LuxosClient('127.0.0.1', site.miners[i]!.port, { pollMs: 100, backoffMs: 50, ...opts });
  const sessionOf = async (i: number) => ((await client(i).command('session')).SESSION as Array<{ SessionID: string }>)[0]!.SessionID;
  /** The next ATM check of miner i (every 30 simulated seconds: 1.5 s here). */
  const nextAtmCheck = (i: number, match: (e: Atm) => boolean = () => true) => nextEvent<Atm>(site.miners[i]!, 'atm', match, 10_000);

  beforeAll(async () => {
    site = await startSim({ miners: 12, models: ['s19kpro'], seed: 21, speed: 20 });
  });
  afterAll(() => site.stop());

  describe('operations', () => {
    it('reads identity, the profile table and telemetry', async () => {
      const c = client(0);
      expect(await c.identity()).toMatchObject({ model: 'Antminer S19k Pro', apiVersion: '3.7' });
      const profiles = await c.profiles();
      expect(profiles).toHaveLength(25);
      expect(profiles.map((p) => p.name)).toEqual(site.miners[0]!.unit.profiles.map((p) => p.name));
      const t = await c.telemetry();
      expect(t).toMatchObject({ model: 'Antminer S19k Pro', profile: 'default', ramping: false, sleeping: false, atmEnabled: true });
      const truth = site.miners[0]!.truth();
      expect(Math.abs(t.powerW / truth.powerW - 1)).toBeLessThan(0.03);
    });

    it('sets a profile, pins it against ATM, confirms by read-back, and logs off', async () => {
      const c = client(1);
      const r = await c.setProfile('640MHz', { deadlineMs: 10_000 });
      expect(r.confirmed).toBe(true);
      expect(r.observed).toMatchObject({ profile: '640MHz', ramping: false, atmEnabled: false });
      expect(site.miners[1]!.truth()).toMatchObject({ profile: '640MHz', frequencyMHz: 640, state: 'mining' });
      expect(await sessionOf(1)).toBe('');
      // ATM is off: its next check leaves the overclock alone.
      expect(await nextAtmCheck(1)).toMatchObject({ enabled: false, before: '640MHz', after: '640MHz' });
      expect((await c.telemetry()).profile).toBe('640MHz');
      // Setting what is already set writes nothing and confirms at once.
      const again = await c.setProfile('640MHz');
      expect(again.confirmed).toBe(true);
    });

    it('shows why pinning matters: with ATM on, an overclock is pulled back to its bound', async () => {
      const c = client(2);
      // Listening from before the overclock, so the check that pulls it back cannot be missed.
      const pulledBack = nextAtmCheck(2, (e) => e.before === '665MHz');
      await c.withSession((sid) => c.command('profileset', `${sid},665MHz`));
      expect(await pulledBack).toMatchObject({ enabled: true, after: 'default' });
      expect((await c.telemetry()).profile).toBe('default');
    });

    it('reports a change that does not complete in time as unconfirmed, with what it saw', async () => {
      const r = await client(3).setProfile('190MHz', { deadlineMs: 200 });
      expect(r.confirmed).toBe(false);
      expect(r.observed).toMatchObject({ profile: '190MHz', ramping: true });
    });

    it('sleeps (confirmed when the draw is down) and wakes (confirmed when hashing)', async () => {
      const c = client(4);
      const s = await c.sleep({ deadlineMs: 10_000 });
      expect(s.confirmed).toBe(true);
      expect(s.observed.sleeping).toBe(true);
      expect(s.observed.powerW).toBeLessThanOrEqual(100);
      expect(site.miners[4]!.truth().powerW).toBeLessThan(100);
      const w = await c.wake({ deadlineMs: 15_000 });
      expect(w.confirmed).toBe(true);
      expect(w.observed.hashrateThs).toBeGreaterThan(0);
      expect(w.elapsedMs).toBeGreaterThan(1500); // a safe wake boots first (45 s simulated)
      expect(await sessionOf(4)).toBe('');
    });

    it('wakes in one step with mode=unsafe', async () => {
      const c = client(5);
      await c.sleep({ deadlineMs: 10_000 });
      const w = await c.wake({ unsafe: true, deadlineMs: 5000 });
      expect(w.confirmed).toBe(true);
      expect(w.elapsedMs).toBeLessThan(1500);
    });

    it('backs off while another client holds the session (402), then succeeds and closes its own', async () => {
      const other = client(6);
      const held = ((await other.command('logon')).SESSION as Array<{ SessionID: string }>)[0]!.SessionID;
      try {
        const refused = nextEvent<Answer>(site.miners[6]!, 'command', (a) => a.command === 'logon' && a.code === 402, 10_000);
        const pending = client(6).setProfile('565MHz', { deadlineMs: 10_000 });
        pending.catch(() => undefined); // awaited below; a failure before that is the test's own
        await refused; // the second client was turned away and is backing off
        expect(await sessionOf(6)).toBe(held);
        await other.command('logoff', held);
        expect((await pending).confirmed).toBe(true);
        expect(await sessionOf(6)).toBe('');
      } finally {
        await other.command('kill');
      }
    });

    it('gives up on a session held too long with the miner\'s refusal', async () => {
      const other = client(6);
      await other.command('logon');
      try {
        const err = await client(6, { sessionAttempts: 2 }).sleep().catch((e: unknown) => e);
        expect(err).toMatchObject({ kind: 'refused', code: 402 });
      } finally {
        await other.command('kill');
      }
    });
  });

  describe('faults', () => {
    const withFault = async (i: number, fault: string, fn: () => Promise<void>) => {
      const { parseFault } = await import('@wattbroker/miner-sim');
      await site.setFaults(i, parseFault(fault));
      try {
        await fn();
      } finally {
        await site.setFaults(i, { slowMs: 0, noNul: false, noClose: false, refuse: false, truncate: false, garble: false, quirk: false, stuckAsleep: false, drop: false });
      }
    };
    const kindOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof LuxosError ? e.kind : String(e)));

    it('slow reply: times out when slower than the timeout, works when not', () =>
      withFault(7, 'slowMs=800', async () => {
        const started = Date.now();
        expect(await kindOf(client(7, { timeoutMs: 300, retries: 1 }).telemetry())).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(2000);
        expect((await client(7, { timeoutMs: 3000 }).telemetry()).model).toBe('Antminer S19k Pro');
      }));

    it('no NUL: the reply ends at EOF and still parses', () =>
      withFault(7, 'noNul', async () => {
        expect((await client(7).telemetry()).profile).toBe('default');
      }));

    it('no close: the reply ends at the NUL; the driver does not wait for the close', () =>
      withFault(7, 'noClose', async () => {
        const started = Date.now();
        expect((await client(7, { timeoutMs: 2000, retries: 0 }).identity()).model).toBe('Antminer S19k Pro');
        expect(Date.now() - started).toBeLessThan(1000);
      }));

    it('refused connection: unreachable, retried, then fine once the miner is back', () =>
      withFault(8, 'refuse', async () => {
        expect(await kindOf(client(8, { retries: 2 }).telemetry())).toBe('unreachable');
        await site.setFaults(8, { refuse: false });
        expect((await client(8).telemetry()).profile).toBe('default');
      }));

    it('truncated JSON: a protocol error after bounded retries', () =>
      withFault(8, 'truncate', async () => {
        const err = await client(8, { retries: 2 }).telemetry().catch((e: unknown) => e);
        expect(err).toMatchObject({ kind: 'protocol' });
        expect((err as Error).message).toMatch(/not JSON/);
      }));

    it('garbled bytes: a protocol error', () =>
      withFault(8, 'garble', async () => {
        expect(await kindOf(client(8, { retries: 0 }).identity())).toBe('protocol');
      }));

    it('the cgminer }{ quirk is repaired', () =>
      withFault(9, 'quirk', async () => {
        const c = client(9);
        expect((await c.profiles())).toHaveLength(25);
        const t = await c.telemetry();
        expect(t.model).toBe('Antminer S19k Pro');
      }));

    it('a miner that says it woke but stays asleep is reported unconfirmed', () =>
      withFault(10, 'stuckAsleep', async () => {
        const c = client(10);
        expect((await c.sleep({ deadlineMs: 10_000 })).confirmed).toBe(true);
        const w = await c.wake({ deadlineMs: 1500 });
        expect(w.confirmed).toBe(false);
        expect(w.observed.sleeping).toBe(true);
        expect(site.miners[10]!.truth().state).toBe('sleeping');
      }));

    it('a miner that drops off times out', () =>
      withFault(11, 'drop', async () => {
        expect(await kindOf(client(11, { timeoutMs: 300, retries: 1 }).telemetry())).toBe('timeout');
      }));
  });

  describe('hardened inputs', () => {
    it('cuts a reply over the size cap with a typed error, at once and without retrying', async () => {
      // A "miner" that streams JSON-looking bytes without end (no NUL, no close).
      let connections = 0;
      const sockets: Socket[] = [];
      const server = createServer((sock) => {
        connections++;
        sockets.push(sock);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (!sock.destroyed && sock.write(chunk));
          if (!sock.destroyed) sock.once('drain', pump);
        };
        sock.on('error', () => undefined);
        pump();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const port = (server.address() as { port: number }).port;
        const started = Date.now();
        const err = await new LuxosClient('127.0.0.1', port, { timeoutMs: 10_000, retries: 2, backoffMs: 50 }).telemetry().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ReplyTooLargeError);
        expect(err).toMatchObject({ kind: 'too-large', limitBytes: 256 * 1024, retryable: false });
        expect(Date.now() - started).toBeLessThan(5000);
        expect(connections).toBe(1);
        // A smaller cap, per client.
        const small = await new LuxosClient('127.0.0.1', port, { maxReplyBytes: 1000, retries: 0 }).identity().catch((e: unknown) => e);
        expect(small).toMatchObject({ kind: 'too-large', limitBytes: 1000 });
      } finally {
        for (const s2 of sockets) s2.destroy();
        await new Promise((r) => server.close(r));
      }
    });

    it('never sends a profile the miner\'s own table lacks, nor a name that would add parameters', async () => {
      const sent: string[] = [];
      const listen = (a: Answer) => sent.push(a.command);
      site.miners[5]!.on('command', listen);
      try {
        const c = client(5);
        for (const [profile, why] of [['640MHz,extra=1', /no commas/], ['turbo-9000', /not in the miner's profile table/], ['', /not a profile name/]] as const) {
          const err = await c.setProfile(profile).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(UnknownProfileError);
          expect(err).toMatchObject({ kind: 'bad-request', retryable: false });
          expect((err as Error).message).toMatch(why);
          const applied = await c.applyProfile(profile).catch((e: unknown) => e);
          expect(applied).toBeInstanceOf(UnknownProfileError);
        }
        expect(sent).not.toContain('profileset');
        expect(sent).not.toContain('logon');
        expect(site.miners[5]!.truth().profile).toBe('default');
        // A profile of the table still goes through.
        expect((await c.setProfile('640MHz', { deadlineMs: 10_000 })).confirmed).toBe(true);
      } finally {
        site.miners[5]!.off('command', listen);
      }
    });
  });
});

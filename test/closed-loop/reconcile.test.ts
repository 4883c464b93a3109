import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LuxosClient } from '@wattbroker/drivers';
import { waitFor } from '@wattbroker/testkit';
import { api, startTestSite, type TestSite } from '../src/site.js';

/**
 * Level-triggered reconciliation, end to end: with the site settled at its cap, 15 of its
 * 60 miners are pushed to their top profile over the LuxOS API behind the scheduler's back
 * (as a firmware reset or a technician would). The emulator's ground-truth meter must be back
 * under the cap within 5 s of first going over, and stay there. Physics 10× (the demo's).
 * No GPU hosts, so the site's true power is the miners' true draw plus the 10 % cooling the
 * scheduler is configured with.
 */
const SPEED = 10;
const COOLING = 1.1;

interface Truth {
  totalPowerW: number;
  perMiner: Array<{ id: string; port: number; state: string; profile: string }>;
}

describe('reconciliation against what devices draw (processes, private Redis)', () => {
  let site: TestSite;
  let capW: number;
  const truth = async (perMiner = false): Promise<Truth> => (await fetch(`${site.truth}?perMiner=${perMiner}`)).json() as Promise<Truth>;

  beforeAll(async () => {
    site = await startTestSite({ miners: 60, asicHosts: 2, gpuHosts: 0, gpusPerHost: 1, speed: SPEED, seed: 3 });
    capW = (site.capKw - site.marginKw) * 1000;
    await waitFor('2 live hosts', async () => {
      const hosts = (await api<Array<{ silent: boolean }>>(site, '/v1/hosts')).body;
      return hosts.length === 2 && hosts.every((h) => !h.silent);
    }, { timeoutMs: 30_000, intervalMs: 200 });
    // Settled at the cap: ≥ 96 % of it on the ground truth, nothing ramping for a while.
    let calm = 0;
    await waitFor('the site settled at its cap', async () => {
      const t = await truth(true);
      const siteW = t.totalPowerW * COOLING;
      const settled = siteW >= 0.96 * capW && siteW <= capW && t.perMiner.every((m) => m.state !== 'ramping' && m.state !== 'waking');
      calm = settled ? calm + 1 : 0;
      return calm >= 10;
    }, { timeoutMs: 90_000, intervalMs: 200 });
  }, 150_000);
  afterAll(() => site?.stop(), 30_000);

  it('notices 15 miners pushed to their top profile from their readings and has the true site power under the cap within 5 s', async () => {
    const mining = (await truth(true)).perMiner.filter((m) => m.state === 'mining').slice(0, 15);
    expect(mining).toHaveLength(15);
    // Watch the ground truth every 100 ms from before the push until well after it.
    const seen: Array<{ at: number; siteW: number }> = [];
    let watching = true;
    // Both watchers pace themselves (an unpaced poller competes with the scheduler for the CPU)
    // and stop on their own if the site goes away under a failed test.
    const watcher = (async () => {
      while (watching) {
        const t0 = Date.now();
        const t = await truth().catch(() => undefined);
        if (!t) break;
        seen.push({ at: t0, siteW: t.totalPowerW * COOLING });
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t0))));
      }
    })();
    const offTargetSeen = new Set<string>();
    const devWatcher = (async () => {
      while (watching) {
        const t0 = Date.now();
        const devices = await api<Array<{ id: string; status: string }>>(site, '/v1/devices').then((r) => r.body, () => undefined);
        if (!devices) break;
        for (const d of devices) if (mining.some((m) => m.id === d.id) && (d.status === 'off-target' || d.status === 'disobedient')) offTargetSeen.add(d.id);
        await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - t0))));
      }
    })();

    // The technician: ATM off (it would pull an overclock back) and the top profile, at once on all 15.
    const pushedAt = Date.now();
    await Promise.all(mining.map(async (m) => {
      const c = new LuxosClient('127.0.0.1', m.port, { timeoutMs: 3000 });
      const top = (await c.profiles()).reduce((a, b) => (b.frequencyMHz > a.frequencyMHz ? b : a));
      await c.withSession(async (sid) => {
        await c.command('atmset', `${sid},enabled=false`);
        await c.command('profileset', `${sid},${top.name}`);
      });
    }));

    // Watch 30 s of ground truth after the push. The push usually takes the site over its cap
    // (the miners ramp faster than one reading reaches the scheduler); when the scheduler pulls
    // them back before the draw crosses it, there is no excursion to time, which is the best case.
    await waitFor('30 s of samples after the push', () => (seen.at(-1)?.at ?? 0) >= pushedAt + 30_000, { timeoutMs: 60_000, intervalMs: 200 });
    watching = false;
    await Promise.all([watcher, devWatcher]);
    const after = seen.filter((s) => s.at >= pushedAt);
    expect(after.length).toBeGreaterThan(100); // the watcher really sampled (≥ 10 Hz for 30 s, with slack)
    const overs = after.filter((s) => s.siteW > capW);
    const peak = Math.max(...after.map((s) => s.siteW));
    if (overs.length > 0) {
      const first = overs[0]!;
      const last = overs.at(-1)!;
      console.log(`reconcile: over the cap ${(first.at - pushedAt) / 1000} s after the push; back under ${(last.at - first.at + 100) / 1000} s after first over; peak ${((peak / capW - 1) * 100).toFixed(1)} % above; ${after.length} samples`);
      // Back under within 5 s of first going over, and never over again.
      expect(last.at - first.at).toBeLessThanOrEqual(5000);
    } else {
      console.log(`reconcile: never over the cap after the push (peak ${((peak / capW) * 100).toFixed(1)} % of it); ${after.length} samples`);
    }
    // The scheduler saw them off target from their readings (and said so in the API).
    expect(offTargetSeen.size).toBeGreaterThan(0);
    // And put them back where it wants them: each runs the profile the scheduler wants it at.
    // Read together and waited on: the scheduler keeps moving miners as the site refills, so a
    // reading of the miners and a later one of the targets may fall either side of a command.
    const mismatched = async () => {
      const [now, devices] = await Promise.all([truth(true), api<Array<{ id: string; status: string; desired: { profile: string } | null }>>(site, '/v1/devices').then((r) => r.body)]);
      return mining.flatMap((m) => {
        const d = devices.find((x) => x.id === m.id);
        const runs = now.perMiner.find((x) => x.id === m.id)!.profile;
        const ok = d && ['on-target', 'in-transition'].includes(d.status) && runs === d.desired?.profile;
        return ok ? [] : [`${m.id}: runs ${runs}, ${d?.status ?? 'missing'} for ${d?.desired?.profile ?? 'nothing'}`];
      });
    };
    // (a probe that throws: waitFor's timeout names what was still wrong)
    await waitFor('every pushed miner at the profile the scheduler wants', async () => {
      const wrong = await mismatched();
      if (wrong.length) throw new Error(wrong.join('; '));
      return true;
    }, { timeoutMs: 20_000, intervalMs: 250 });
  }, 120_000);
});

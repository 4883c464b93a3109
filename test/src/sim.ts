import { startSimSite, type SimSite, type SimSiteOptions } from '@wattbroker/miner-sim';
import { freePortRange } from '@wattbroker/testkit';

/** An emulated site in this process on free loopback ports. */
export function startSim(opts: Omit<SimSiteOptions, 'basePort' | 'host'>): Promise<SimSite> {
  return startSimSite({ ...opts, host: '127.0.0.1', basePort: 0 }, freePortRange);
}

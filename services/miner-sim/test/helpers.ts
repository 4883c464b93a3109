import { freePortRange } from '@wattbroker/testkit';
import { startSimSite, type SimSite, type SimSiteOptions } from '../src/index.js';

export function startSim(opts: Omit<SimSiteOptions, 'basePort' | 'host'>): Promise<SimSite> {
  return startSimSite({ ...opts, host: '127.0.0.1', basePort: 0 }, freePortRange);
}

export const request = (command: string, parameter?: string) =>
  JSON.stringify(parameter === undefined ? { command } : { command, parameter });

import type { Server } from 'node:http';
import { startSimSite, startTruthServer, type SimSite, type SimSiteOptions } from '@wattbroker/miner-sim';
import { freePortRange } from '@wattbroker/testkit';

/** An emulated site in this process on free loopback ports. */
export function startSim(opts: Omit<SimSiteOptions, 'basePort' | 'host'>): Promise<SimSite> {
  return startSimSite({ ...opts, host: '127.0.0.1', basePort: 0 }, freePortRange);
}

export interface SimWithHttp {
  site: SimSite;
  /** Base URL of the truth/GPU HTTP server, e.g. http://127.0.0.1:40123 */
  url: string;
  stop(): Promise<void>;
}

/** An emulated site with its HTTP server (`/truth`, `/gpus`) on a free loopback port. */
export async function startSimWithHttp(opts: Omit<SimSiteOptions, 'basePort' | 'host'>): Promise<SimWithHttp> {
  const site = await startSim(opts);
  const http: Server = await startTruthServer(site, '127.0.0.1', 0);
  const port = (http.address() as { port: number }).port;
  return {
    site, url: `http://127.0.0.1:${port}`,
    async stop() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      await site.stop();
    },
  };
}

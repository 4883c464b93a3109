import type { Command } from 'commander';
import type { HostView, SiteView } from '@wattbroker/contracts';
import { allPages, apiCommand, clientOf, print, table, type Write } from './api-command.js';

/** The site in one line, as `pnpm demo` prints it. */
export function statusLine(site: SiteView): string {
  const grid = site.effectiveCapKw < site.contract.capKw - site.contract.marginKw - 0.05;
  return `cap ${site.effectiveCapKw.toFixed(1)} kW | site ${site.power.siteKw.toFixed(1)} kW (${((site.power.siteKw / Math.max(site.effectiveCapKw, 0.001)) * 100).toFixed(1)} %) | ` +
    `ASIC ${site.power.asicKw.toFixed(1)} GPU ${site.power.gpuKw.toFixed(1)} overhead ${site.power.overheadKw.toFixed(1)} kW | ` +
    `${(site.hashrateThs / 1000).toFixed(2)} PH/s | jobs queued ${site.jobs.queued} admitting ${site.jobs.admitting} running ${site.jobs.running}` +
    (grid ? ' | GRID EVENT' : '') +
    (site.silentHosts.length ? ` | SILENT ${site.silentHosts.join(',')}` : '') +
    (site.offTargetDevices ? ` | OFF TARGET ${site.offTargetDevices}` : '');
}

export function siteCommands(program: Command, write: Write): void {
  apiCommand(program, 'site', 'the site now: contract, effective cap, power by class, hashrate, jobs (GET /v1/site)')
    .action(async (_o, cmd: Command) => {
      const { api, json } = clientOf(cmd);
      const site = await api.call<SiteView>('GET', '/v1/site');
      print(write, json, site, () => `${statusLine(site)}\ncontract ${site.contract.capKw} kW, margin ${site.contract.marginKw} kW; worst case ${site.worstCaseSiteKw} kW; meter ${site.power.meteredKw ?? '–'} kW, model ${site.power.modelledKw} kW`);
    });

  const hosts = program.command('hosts').description('agent hosts: list them, or discover LuxOS miners and write host files');
  apiCommand(hosts, 'list', 'agent hosts, live or silent (GET /v1/hosts)')
    .option('--kind <kind>', 'asic or gpu')
    .action(async (_o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      const list = await allPages<HostView>(api, `/v1/hosts${opts.kind ? `?kind=${encodeURIComponent(opts.kind)}` : ''}`);
      print(write, json, list, () => table(['host', 'kind', 'devices', 'silent', 'last seen'],
        list.map((h) => [h.hostId, h.kind, h.devices, h.silent ? 'SILENT' : 'live', new Date(h.lastSeen).toISOString()])));
    });
}

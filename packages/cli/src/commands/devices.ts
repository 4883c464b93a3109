import type { Command } from 'commander';
import type { DeviceView } from '@wattbroker/contracts';
import { CliError, EXIT } from '../cli-error.js';
import { allPages, apiCommand, clientOf, print, table, type Write } from './api-command.js';

const target = (d: DeviceView) => (d.desired ? JSON.stringify(d.desired).replace(/[{}"]/g, '') : '');

export function deviceCommands(program: Command, write: Write): void {
  const devices = program.command('devices').description('miners and GPUs: list, pin a profile, maintenance');
  apiCommand(devices, 'list', 'devices with reading, target and status (GET /v1/devices)')
    .option('--kind <kind>', 'asic or gpu')
    .option('--host <id>', 'one host\'s devices')
    .option('--status <status>', 'e.g. off-target, disobedient, maintenance')
    .action(async (_o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      const q = new URLSearchParams({ ...(opts.kind ? { kind: opts.kind } : {}), ...(opts.host ? { hostId: opts.host } : {}), ...(opts.status ? { status: opts.status } : {}) });
      const list = await allPages<DeviceView>(api, `/v1/devices${q.size ? `?${q}` : ''}`);
      print(write, json, list, () => list.length === 0 ? 'no devices' : table(['id', 'host', 'kind', 'status', 'power W', 'target', 'override'],
        list.map((d) => [d.id, d.hostId, d.kind, d.status, d.reading?.powerW !== undefined ? Math.round(d.reading.powerW) : '–', target(d),
          d.override ? [d.override.pinnedProfile ? `pinned ${d.override.pinnedProfile}` : '', d.override.maintenance ? 'maintenance' : ''].filter(Boolean).join(', ') : ''])));
    });
  apiCommand(devices, 'pin <id> [profile]', 'pin a miner to PROFILE, or --clear the pin (PATCH /v1/devices/ID)')
    .option('--clear', 'remove the pin')
    .action(async (id: string, profile: string | undefined, _o, cmd: Command) => {
      const { api, json, opts } = clientOf(cmd);
      if ((profile === undefined) === !opts.clear) throw new CliError('give a PROFILE or --clear', EXIT.usage);
      const d = await api.call<DeviceView>('PATCH', `/v1/devices/${encodeURIComponent(id)}`, { pinnedProfile: opts.clear ? null : profile });
      print(write, json, d, () => `${d.id}: ${opts.clear ? 'unpinned' : `pinned to ${profile}`}`);
    });
  apiCommand(devices, 'maintenance <id> <on|off>', 'leave a device alone (on) or hand it back to the scheduler (off)')
    .action(async (id: string, state: string, _o, cmd: Command) => {
      const { api, json } = clientOf(cmd);
      if (state !== 'on' && state !== 'off') throw new CliError(`maintenance: expected on or off, got "${state}"`, EXIT.usage);
      const d = await api.call<DeviceView>('PATCH', `/v1/devices/${encodeURIComponent(id)}`, { maintenance: state === 'on' });
      print(write, json, d, () => `${d.id}: maintenance ${state}`);
    });
}

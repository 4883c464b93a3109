import {
  RefusedError, type ContractBody, type DeviceOverride, type DevicePatch, type EnergyPriceBody, type EnergyPriceRecord, type PriceIntervalRecord,
  type PriorityClass,
} from '@wattbroker/contracts';
import { overrideRefusal, prioritiesRefusal } from '@wattbroker/core';
import { audited, type AuditStamp } from '../audit.js';
import type { UseCaseDeps } from './deps.js';

/** What operators set: the contract, the priority list, device overrides, prices. Each persists before it takes effect. */
export class Settings {
  constructor(private readonly d: UseCaseDeps) {}

  async setContract(body: ContractBody, stamp?: AuditStamp): Promise<{ capW: number; marginW: number }> {
    const c = { capW: body.capKw * 1000, marginW: (body.marginKw ?? this.d.controller.state.contract.marginW / 1000) * 1000 };
    if (c.marginW >= c.capW) throw new RefusedError('Contract cannot be satisfied', { field: 'marginKw', message: 'must be below capKw' });
    await this.d.store.saveContract(c, audited(stamp, this.d.controller.state.contract, c, this.d.clock.now()));
    this.d.controller.setContract(c);
    this.d.loop.tick();
    return c;
  }

  priorities(): readonly PriorityClass[] {
    return this.d.controller.state.priorities;
  }

  async setPriorities(list: readonly PriorityClass[], stamp?: AuditStamp): Promise<void> {
    const refusal = prioritiesRefusal(this.d.controller.state, list);
    if (refusal) throw new RefusedError('Priorities cannot be satisfied', refusal);
    await this.d.store.savePriorities(list, audited(stamp, this.d.controller.state.priorities, list, this.d.clock.now()));
    this.d.controller.setPriorities(list);
    this.d.loop.tick();
  }

  /** Merge a patch into a miner's overrides; returns the overrides in force. Undefined: no such device. */
  async patchDevice(id: string, patch: DevicePatch, stamp?: AuditStamp): Promise<DeviceOverride | undefined> {
    const state = this.d.controller.state;
    if (!state.devices.has(id)) return undefined;
    const current = state.overrides.get(id) ?? {};
    const next: DeviceOverride = {
      ...(patch.pinnedProfile === undefined ? (current.pinnedProfile ? { pinnedProfile: current.pinnedProfile } : {}) : patch.pinnedProfile ? { pinnedProfile: patch.pinnedProfile } : {}),
      ...((patch.maintenance ?? current.maintenance) ? { maintenance: true } : {}),
    };
    const refusal = overrideRefusal(state, id, next);
    if (refusal) throw new RefusedError('Override not possible', refusal);
    await this.d.store.saveOverride(id, next, audited(stamp, current, next, this.d.clock.now()));
    this.d.controller.setOverride(id, next);
    this.d.loop.tick();
    return next;
  }

  async setEnergyPrice(body: EnergyPriceBody, stamp?: AuditStamp): Promise<void> {
    const price: EnergyPriceRecord = 'pricePerMWh' in body
      ? { kind: 'constant', pricePerMWh: body.pricePerMWh, setAt: this.d.clock.now() }
      : { kind: 'intervals', intervals: body.intervals.map((i) => ({ start: Date.parse(i.start), end: Date.parse(i.end), pricePerMWh: i.pricePerMWh })) };
    await this.setPrice(price, stamp);
  }

  /** Price intervals from a market feed (OpenADR PRICE events). */
  async setPriceIntervals(intervals: readonly PriceIntervalRecord[]): Promise<void> {
    await this.setPrice({ kind: 'intervals', intervals: [...intervals] });
  }

  private async setPrice(price: EnergyPriceRecord, stamp?: AuditStamp): Promise<void> {
    const before = stamp ? await this.d.store.energyPrice() : undefined;
    await this.d.store.saveEnergyPrice(price, audited(stamp, before, price, this.d.clock.now()));
    this.d.controller.setEnergyPrice(price);
    this.d.loop.tick();
  }

  async setHashprice(usdPerThDay: number, stamp?: AuditStamp): Promise<void> {
    const before = stamp ? await this.d.store.hashprice() : undefined;
    await this.d.store.saveHashprice(usdPerThDay, audited(stamp, before, usdPerThDay, this.d.clock.now()));
    this.d.controller.setHashprice(usdPerThDay);
    this.d.loop.tick();
  }

  prices() {
    return this.d.controller.prices(this.d.clock.now());
  }
}

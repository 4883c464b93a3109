import type { DeviceView, HostView, SiteSample } from '@wattbroker/contracts';
import type { Policy } from '../policy/policy.js';
import { STATUS } from '../snapshot/device-status.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { confirmed } from '../state/device-draws.js';
import type { SiteState } from '../state/site-state.js';
import { sitePowerW } from '../site/site-model.js';
import { modelCooling } from '../state/meter.js';
import { reconcile } from '../reconcile/reconcile.js';

/** One ledger sample: what the site measures against the cap in force now (not the planning cap). */
export function siteSample(state: SiteState, snap: Snapshot): SiteSample {
  const m = snap.measured;
  const siteW = m.meteredSiteW ?? m.modelledSiteW;
  return {
    at: snap.now,
    effectiveCapW: snap.obligation.cap.effectiveCapW,
    contractCapW: state.contract.capW,
    marginW: state.contract.marginW,
    // What reports are built from: the meter when there is one, else the model.
    siteW,
    asicW: m.asicW,
    gpuW: m.gpuW,
    overheadW: siteW - m.asicW - m.gpuW,
    worstCaseSiteW: sitePowerW(modelCooling(state), snap.worstItW),
    modelledSiteW: m.modelledSiteW,
    meteredSiteW: m.meteredSiteW ?? null,
    hashrateThs: m.hashrateThs,
    silentHosts: [...snap.silentHosts],
    offTarget: snap.offTarget,
    jobs: { ...snap.jobs },
  };
}

export function hostViews(state: SiteState, snap: Snapshot): HostView[] {
  return [...state.hosts.values()].map((h) => ({
    hostId: h.id, kind: h.kind, devices: h.deviceIds.length, lastSeen: h.lastSeen, silent: !snap.liveHosts.has(h.id), overheadW: h.overheadW,
  }));
}

/** Every device with its reading, target, status against it and budget (or one, by id). */
export function deviceViews(state: SiteState, snap: Snapshot, policy: Policy, only?: string): DeviceView[] {
  const why = new Map(reconcile(snap, state, policy).offTarget.map((o) => [o.id, o.reason]));
  const out: DeviceView[] = [];
  state.deviceList.forEach((d, i) => {
    if (only !== undefined && d.id !== only) return;
    const reason = why.get(d.id);
    out.push({
      id: d.id, hostId: d.hostId, kind: d.inv.kind, model: d.inv.model, reading: d.reading ?? null, readingAt: d.readingAt || null,
      desired: d.desired ?? null, confirmed: confirmed(d), status: STATUS[snap.status[i]!]!, ...(reason ? { reason } : {}), resends: d.resends,
      budgetW: Math.round(snap.worstW[i]! * 10) / 10, override: state.overrides.get(d.id) ?? null,
      ...(d.inv.kind === 'asic' ? { bias: Math.round(d.bias * 1000) / 1000 } : {}),
    });
  });
  return out;
}

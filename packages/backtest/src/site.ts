import type { BacktestFleetFile, BacktestSite, FieldIssue, PriorityClass } from '@wattbroker/contracts';
import { BacktestSiteSchema } from '@wattbroker/contracts';
import { ASIC_MODEL_KEYS, GPU_MODEL_KEYS, asicModel, generateFleet, gpuModel, makeAsicUnit, type AsicModelKey, type AsicUnit, type CoolingModel, type FleetMix, type GpuModel } from '@wattbroker/core';

/** The site a simulation runs: units with their lottery, hosts, the contract and the timing of physics and agents. */
export interface SimSite {
  readonly name: string;
  readonly seed: number;
  readonly units: readonly AsicUnit[];
  readonly asicHosts: ReadonlyArray<{ readonly id: string; readonly miners: readonly number[] }>;
  readonly gpuHosts: ReadonlyArray<{ readonly id: string; readonly model: GpuModel; readonly gpus: number; readonly overheadW: number }>;
  readonly capW: number;
  readonly marginW: number;
  readonly cooling: CoolingModel;
  /** ASIC classes for the site's zones (added to the priority list). */
  readonly zoneClasses: readonly PriorityClass[];
  readonly physics: BacktestSite['physics'];
  readonly agents: BacktestSite['agents'];
  readonly gpuUsdPerHour: Readonly<Record<string, number>>;
  /** Miners' stock (default profile) draw and every GPU host flat out, W (what sizes the default contract). */
  readonly stockW: number;
  readonly gpuMaxW: number;
}

/** The demo's site (`pnpm demo` with its defaults): 120 catalog miners on 4 agents, 2 hosts × 8 H100, contract sized to fit. */
export const DEMO_SITE: BacktestSite = BacktestSiteSchema.parse({ name: 'demo site (pnpm demo defaults)' });

/** Catalog names the schema cannot know (models, hosts of zones), as field-named issues. */
export function siteIssues(site: BacktestSite, fleet?: BacktestFleetFile): FieldIssue[] {
  const out: FieldIssue[] = [];
  const asic = (path: string, key: string) => {
    if (!(ASIC_MODEL_KEYS as readonly string[]).includes(key)) out.push({ field: path, message: `unknown ASIC model "${key}" (known: ${ASIC_MODEL_KEYS.join(', ')})` });
  };
  site.miners.models?.forEach((m, i) => asic(`miners.models[${i}].model`, m.model));
  for (const k of Object.keys(site.miners.mix ?? {})) asic(`miners.mix.${k}`, k);
  fleet?.miners.forEach((m, i) => asic(`(fleet file) miners[${i}].model`, m.model));
  site.gpuHosts.forEach((g, i) => {
    if (!(GPU_MODEL_KEYS as readonly string[]).includes(g.model)) out.push({ field: `gpuHosts[${i}].model`, message: `unknown GPU model "${g.model}" (known: ${GPU_MODEL_KEYS.join(', ')})` });
  });
  const count = site.miners.count ?? site.miners.models?.reduce((a, m) => a + m.count, 0) ?? fleet?.miners.length;
  const hosts = count === undefined ? site.asicHosts : Math.min(site.asicHosts, Math.max(1, count));
  site.zones.forEach((z, i) => z.asicHosts.forEach((h, j) => {
    const m = /^asic-(\d+)$/.exec(h);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > hosts) out.push({ field: `zones[${i}].asicHosts[${j}]`, message: `no ASIC host "${h}" (hosts are asic-1 … asic-${hosts})` });
  }));
  return out;
}

/** Resolve a validated site file (and its fleet file, when it names one) into the simulated site. */
export function resolveSite(site: BacktestSite, fleet?: BacktestFleetFile): SimSite {
  let units: AsicUnit[];
  const m = site.miners;
  if (m.models) {
    for (const x of m.models) asicModel(x.model);
    const order = interleave(m.models.map((x) => x.count));
    const width = Math.max(4, String(order.length).length);
    units = order.map((g, i) => makeAsicUnit(asicModel(m.models![g]!.model), `m-${String(i + 1).padStart(width, '0')}`, site.seed));
  } else if (m.fleetFile) {
    if (!fleet) throw new Error('miners.fleetFile: the fleet file was not loaded');
    units = fleet.miners.map((u) => makeAsicUnit(asicModel(u.model), u.id, site.seed));
  } else {
    const mix = m.mix as FleetMix | undefined;
    if (mix) for (const k of Object.keys(mix)) asicModel(k as AsicModelKey);
    units = generateFleet({ seed: site.seed, ...(m.count !== undefined ? { miners: m.count } : { stockW: m.stockKw! * 1000 }), ...(mix ? { mix } : {}) });
  }
  const hostCount = Math.min(site.asicHosts, Math.max(1, units.length));
  const per = Math.ceil(units.length / hostCount);
  const asicHosts: Array<{ id: string; miners: number[] }> = [];
  for (let h = 0; h < hostCount; h++) {
    const miners = [];
    for (let i = h * per; i < Math.min(units.length, (h + 1) * per); i++) miners.push(i);
    if (miners.length) asicHosts.push({ id: `asic-${h + 1}`, miners });
  }
  const gpuHosts = site.gpuHosts.flatMap((g) => Array.from({ length: g.count }, (_, i) => ({ id: `${g.prefix}-${i + 1}`, model: gpuModel(g.model), gpus: g.gpus, overheadW: g.overheadW })));
  const seen = new Set<string>();
  for (const h of [...asicHosts, ...gpuHosts]) {
    if (seen.has(h.id)) throw new Error(`gpuHosts: host id "${h.id}" is used twice (give each group its own prefix)`);
    seen.add(h.id);
  }
  const stockW = units.reduce((s, u) => s + u.model.nominalW, 0);
  const gpuMaxW = gpuHosts.reduce((s, h) => s + h.gpus * h.model.maxLimitW + h.overheadW, 0);
  const cooling = { fixedW: site.cooling.fixedKw * 1000, fractionOfIt: site.cooling.fraction };
  // As `pnpm demo` sizes it: stock + GPUs flat out + cooling, in whole kW; margin 2 % (at least 1 kW).
  const capKw = site.contract.capKw ?? Math.round(((stockW + gpuMaxW) * (1 + cooling.fractionOfIt) + cooling.fixedW) / 1000);
  const marginKw = site.contract.marginKw ?? Math.max(1, Math.round(capKw * 0.02));
  const hostIds = new Set(asicHosts.map((h) => h.id));
  const zoneClasses: PriorityClass[] = site.zones.map((z, i) => {
    for (const [j, id] of z.asicHosts.entries()) if (!hostIds.has(id)) throw new Error(`zones[${i}].asicHosts[${j}]: no ASIC host "${id}" (hosts are asic-1 … asic-${asicHosts.length})`);
    const miners = asicHosts.filter((h) => z.asicHosts.includes(h.id)).flatMap((h) => h.miners.map((k) => units[k]!.id));
    return { name: z.name, kind: 'asic', miners, ...(z.maxKw !== undefined ? { maxKw: z.maxKw } : {}), ...(z.minKw !== undefined ? { minKw: z.minKw } : {}) };
  });
  return {
    name: site.name ?? `${units.length} miners, ${gpuHosts.reduce((s, h) => s + h.gpus, 0)} GPUs`,
    seed: site.seed, units, asicHosts, gpuHosts, capW: capKw * 1000, marginW: marginKw * 1000, cooling, zoneClasses,
    physics: site.physics, agents: site.agents, gpuUsdPerHour: site.gpuUsdPerHour, stockW, gpuMaxW,
  };
}

/** Which group each position takes: groups of these sizes interleaved, so that any prefix has about the same mix (as generateFleet does). */
function interleave(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const placed = counts.map(() => 0);
  const out: number[] = [];
  for (let i = 0; i < total; i++) {
    let best = 0;
    let lag = -Infinity;
    counts.forEach((c, j) => {
      const l = (c / total) * (i + 1) - placed[j]!;
      if (placed[j]! < c && l > lag) {
        lag = l;
        best = j;
      }
    });
    out.push(best);
    placed[best]!++;
  }
  return out;
}

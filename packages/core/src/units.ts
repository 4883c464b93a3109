/**
 * Units as branded numbers. A `Watts` cannot be passed where `Kilowatts` is expected without
 * an explicit conversion, which is where most power-scheduling bugs hide (a kW cap compared
 * with a W reading). The brands cost nothing at run time: they are plain numbers.
 */
declare const unit: unique symbol;
type Unit<U extends string> = number & { readonly [unit]: U };

export type Watts = Unit<'W'>;
export type Kilowatts = Unit<'kW'>;
export type TeraHashPerSecond = Unit<'TH/s'>;
export type JoulesPerTerahash = Unit<'J/TH'>;
export type UsdPerMegawattHour = Unit<'$/MWh'>;
/** Hashprice: mining revenue per TH/s per day. */
export type UsdPerTerahashDay = Unit<'$/TH/day'>;

export const W = (n: number): Watts => n as Watts;
export const kW = (n: number): Kilowatts => n as Kilowatts;
export const THs = (n: number): TeraHashPerSecond => n as TeraHashPerSecond;
export const usdPerMWh = (n: number): UsdPerMegawattHour => n as UsdPerMegawattHour;
export const usdPerThDay = (n: number): UsdPerTerahashDay => n as UsdPerTerahashDay;

export const kwToW = (p: Kilowatts): Watts => (p * 1000) as Watts;
export const wToKw = (p: Watts): Kilowatts => (p / 1000) as Kilowatts;

/** Efficiency: W / (TH/s) = J/TH. Infinite for a device that hashes nothing. */
export function joulesPerTh(power: Watts, hashrate: TeraHashPerSecond): JoulesPerTerahash {
  return (hashrate > 0 ? power / hashrate : Number.POSITIVE_INFINITY) as JoulesPerTerahash;
}

/**
 * The marginal efficiency (TH/s per W) below which a step loses money: a step of ΔW watts
 * that adds ΔTH TH/s earns ΔTH·hashprice per day and costs ΔW·24 h·price/1e6 per day.
 */
export function breakevenThPerW(energy: UsdPerMegawattHour, hashprice: UsdPerTerahashDay): number {
  if (hashprice <= 0) return Number.POSITIVE_INFINITY;
  return (energy * 24) / (1e6 * hashprice);
}

/**
 * The baseline every curtailment scheme is measured against: miners run stock or are
 * switched off, least efficient first, until the fleet fits the budget. This is what a site
 * without profile control does (and what PDU-level curtailment does).
 */
export interface OnOffResult {
  readonly powerW: number;
  readonly hashrateThs: number;
  readonly offCount: number;
  readonly feasible: boolean;
}

export function onOffBaseline(
  stockW: Float64Array,
  stockThs: Float64Array,
  offW: Float64Array,
  budgetW: number,
): OnOffResult {
  const n = stockW.length;
  let powerW = 0;
  let hashrateThs = 0;
  for (let i = 0; i < n; i++) {
    powerW += stockW[i]!;
    hashrateThs += stockThs[i]!;
  }
  const jPerTh = new Float64Array(n);
  for (let i = 0; i < n; i++) jPerTh[i] = stockThs[i]! > 0 ? stockW[i]! / stockThs[i]! : Infinity;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => jPerTh[b]! - jPerTh[a]!);
  let offCount = 0;
  for (const i of order) {
    if (powerW <= budgetW) break;
    powerW -= stockW[i]! - offW[i]!;
    hashrateThs -= stockThs[i]!;
    offCount++;
  }
  return { powerW, hashrateThs, offCount, feasible: powerW <= budgetW };
}

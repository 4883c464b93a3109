/** Number formatting for human output: grouped thousands, fixed decimals. */
export function fmt(n: number, decimals = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export const kw = (w: number, decimals = 1) => `${fmt(w / 1000, decimals)} kW`;

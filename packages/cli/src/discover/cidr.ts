/** IPv4 CIDR blocks → addresses; sized for a site LAN scan (at most a /16 at a time). */
export const MAX_PREFIX_SPAN = 16;

export function parseCidr(text: string): { base: number; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m?.[5] === undefined ? 32 : Number(m[5]);
  if (!m || octets.some((o) => o > 255) || prefix > 32) throw new RangeError(`not an IPv4 CIDR block such as 10.0.0.0/24: "${text}"`);
  if (prefix < MAX_PREFIX_SPAN) throw new RangeError(`/${prefix} is ${2 ** (32 - prefix)} addresses; scan at most a /${MAX_PREFIX_SPAN} at a time`);
  const ip = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { base: ip - (ip % size), prefix };
}

/** The block's host addresses (network and broadcast addresses left out when the block has them). */
export function addresses(text: string): string[] {
  const { base, prefix } = parseCidr(text);
  const size = 2 ** (32 - prefix);
  const out: string[] = [];
  for (let i = 0; i < size; i++) {
    if (prefix <= 30 && (i === 0 || i === size - 1)) continue;
    const n = base + i;
    out.push([24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.'));
  }
  return out;
}

/** `4028`, `4028,4029`, `14001-14040` → ports. */
export function parsePorts(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || from < 1 || to > 65535 || to < from) throw new RangeError(`not a port or range such as 4028 or 4028-4030: "${part}"`);
    if (to - from > 4096) throw new RangeError(`port range ${part} is over 4096 ports`);
    for (let p = from; p <= to; p++) out.add(p);
  }
  if (out.size === 0) throw new RangeError('no port given');
  return [...out];
}

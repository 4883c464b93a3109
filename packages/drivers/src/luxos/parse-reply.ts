import { LuxosError, MinerRefusedError } from './errors.js';
import { isOk, type LuxosReply, type StatusEntry } from './protocol.js';

/**
 * cgminer-derived firmwares sometimes print adjacent objects without a comma (`}{`), which
 * is not JSON. Repair it outside strings only, so a `}{` inside a pool URL stays intact.
 */
export function repairAdjacentObjects(text: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    out += c;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '}') {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      if (text[j] === '{') out += ',';
    }
  }
  return out;
}

/** Parse a reply and check its STATUS; a refusal becomes MinerRefusedError with its Msg. */
export function parseReply(text: string, command: string, address: string): LuxosReply {
  const trimmed = text.replace(/\0+$/, '').trim();
  if (trimmed === '') throw new LuxosError('protocol', `${command}: empty reply`, address);
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    try {
      value = JSON.parse(repairAdjacentObjects(trimmed));
    } catch (e) {
      const shown = trimmed.length > 80 ? `${trimmed.slice(0, 80)}…` : trimmed;
      throw new LuxosError('protocol', `${command}: reply is not JSON (${(e as Error).message}): ${shown}`, address);
    }
  }
  // Anything but an object (null, a number, a list) is no LuxOS reply; nothing below may touch it.
  if (!isObject(value)) throw new LuxosError('protocol', `${command}: reply is not a JSON object`, address);
  const reply = value as Partial<LuxosReply>;
  const multi = command.includes('+');
  if (multi) {
    // Joined commands: each part carries its own full reply.
    for (const part of command.split('+')) {
      const sub = (reply as Record<string, unknown>)[part];
      if (!Array.isArray(sub) || sub.length === 0 || !isObject(sub[0])) throw new LuxosError('protocol', `${command}: no "${part}" in reply`, address);
      checkStatus(sub[0] as LuxosReply, part, address);
    }
    return reply as LuxosReply;
  }
  checkStatus(reply as LuxosReply, command, address);
  return reply as LuxosReply;
}

function checkStatus(reply: Partial<LuxosReply>, command: string, address: string): void {
  const status = Array.isArray(reply.STATUS) ? (reply.STATUS[0] as StatusEntry | undefined) : undefined;
  if (!status || typeof status.STATUS !== 'string') {
    throw new LuxosError('protocol', `${command}: reply has no STATUS`, address);
  }
  if (!isOk(status.STATUS)) {
    throw new MinerRefusedError(address, command, Number(status.Code), String(status.Msg ?? ''));
  }
}

/** The first element of a payload list, or a protocol error naming the missing key. */
export function payload<T = Record<string, unknown>>(reply: LuxosReply, key: string, command: string, address: string): T {
  const list = reply[key];
  if (!Array.isArray(list) || list.length === 0 || !isObject(list[0])) {
    throw new LuxosError('protocol', `${command}: reply has no ${key}[0]`, address);
  }
  return list[0] as T;
}

/** A JSON object (not null, not a list). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

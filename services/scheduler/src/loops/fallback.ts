import type { Logger } from 'pino';
import { FallbackCommandSchema } from '@wattbroker/contracts';
import { gridCapsAt, type Controller } from '@wattbroker/core';
import type { Clock, CommandSink, Leadership } from '../ports.js';

/**
 * Keeps every agent armed with a conservative fallback, re-sent every `everyMs` (which also
 * tells the agent that a leader is there): for an ASIC host, its miners' part of the same pure
 * plan on a what-if where every GPU of the site runs at its top limit, under the cap in force
 * now. An agent that hears nothing for `afterMs` applies it on its own, lowering only.
 * GPU hosts get the heartbeat with nothing to apply: no job starts without a leader.
 */
export async function armFallbacks(d: {
  controller: Controller; clock: Clock; sink: CommandSink; leadership: Leadership; log: Logger; afterMs: number;
  /**
   * The last fallback sent per host, kept across calls: a device the what-if leaves out this
   * time (its host silent for a moment, say) keeps its last fallback target instead of none.
   */
  last: Map<string, Record<string, { kind: 'asic'; profile: string }>>;
}): Promise<number> {
  const { controller, clock, sink, leadership } = d;
  if (!leadership.isLeading()) return 0;
  const now = clock.now();
  const state = controller.state;
  const capW = Math.min(state.contract.capW, ...gridCapsAt(state.gridEvents, state.contract.capW, now, false, controller.policy.preShedMs));
  const plan = controller.whatIf(capW, now, { gpusAtMax: true });
  const byHost = new Map<string, Record<string, { kind: 'asic'; profile: string }>>();
  for (const h of state.hosts.values()) byHost.set(h.id, { ...d.last.get(h.id) });
  for (const [id, t] of plan) byHost.get(t.hostId)![id] = { kind: 'asic', profile: t.profile };
  for (const [hostId, devices] of byHost) d.last.set(hostId, devices);
  await Promise.all([...byHost].map(([hostId, devices]) => sink.fallback(FallbackCommandSchema.parse({
    hostId, epoch: leadership.epoch, issuedAt: now, afterMs: d.afterMs, devices,
  }))));
  return byHost.size;
}

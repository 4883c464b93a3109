import { requeue } from '../admission/preemption.js';
import { transition, type JobTransition } from '../jobs/job-machine.js';
import { estimateW } from '../state/device-draws.js';
import type { SiteState } from '../state/site-state.js';
import type { Plan } from './plan.js';

/**
 * Reducer: make a plan the site's new state. Jobs move (admitting, running), devices take
 * their new targets, re-commanded devices count one more re-command; every device named in a
 * command remembers the command, so the agent's report on it can be matched. Returns the job
 * transitions for the shell to persist before it sends the commands.
 */
export function commitPlan(state: SiteState, plan: Plan, now: number): JobTransition[] {
  const transitions: JobTransition[] = [];
  // Preempted jobs give their GPUs back first, so that the admissions below may hold them.
  for (const id of plan.preempted) {
    const t = requeue(state, id, now);
    if (t) transitions.push(t);
  }
  for (const a of plan.admissions) {
    const t = transition(state, a.jobId, 'admitting', now, { hostId: a.hostId, gpuIds: [...a.gpuIds], limitW: a.limitW });
    if (t) transitions.push(t);
  }
  for (const id of plan.starts) {
    const t = transition(state, id, 'running', now);
    if (t) transitions.push(t);
  }
  for (const cmd of plan.commands) {
    for (const [id, want] of Object.entries(cmd.devices)) {
      const d = state.devices.get(id);
      if (!d) continue;
      state.touched.add(d);
      if (plan.targets.has(id)) {
        d.peakW = Math.max(d.peakW, want.kind === 'gpu' ? want.powerLimitW : estimateW(d, want.profile));
        d.desired = want;
        d.changedAt = now;
        d.resends = 0;
        d.offTargetSince = undefined;
      } else {
        d.resends++;
        d.offTargetSince ??= now;
      }
      d.sentAt = now;
      d.commandId = cmd.commandId;
    }
  }
  for (const [id, want] of plan.adopt) {
    const d = state.devices.get(id);
    if (d && !d.desired) {
      d.desired = want;
      state.touched.add(d);
    }
  }
  state.stepSeq++;
  return transitions;
}

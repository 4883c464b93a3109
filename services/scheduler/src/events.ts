import type { AgentMessage, SiteSample } from '@wattbroker/contracts';
import type { DeviceEvent, JobTransition } from '@wattbroker/core';

/** One command as it left: issuedAt = the step's start, queuedAt = when its queue had it. */
export interface SentCommand {
  readonly hostId: string;
  readonly commandId: string;
  readonly devices: number;
  readonly issuedAt: number;
  readonly queuedAt: number;
}

/**
 * The scheduler's typed events: logs, metrics and tests listen to the same ones (tests await
 * the next event instead of sleeping).
 */
export interface SchedulerEvents {
  'job:transition': [JobTransition];
  /** A telemetry batch was folded in (at the scheduler's clock). */
  'telemetry': [{ hostId: string; at: number }];
  /** A host registered (or re-registered) its devices. */
  'registered': [{ hostId: string; devices: number }];
  'commands:sent': [readonly SentCommand[]];
  /** An agent's report on a command: when it took it (receivedAt) and what each device did. */
  'command:result': [Extract<AgentMessage, { type: 'result' }>];
  /** A device went off its target, became disobedient, or came back. */
  'device': [DeviceEvent];
  /** One control step ran: how long it took, and what it decided. */
  'step': [{ at: number; durationMs: number; commands: number; transitions: number }];
  'sample': [SiteSample];
  'leader': [{ epoch: number }];
  'follower': [{ reason: string }];
  /** Something failed and was survived (the loop goes on). */
  'failure': [{ where: string; message: string; error?: unknown }];
}

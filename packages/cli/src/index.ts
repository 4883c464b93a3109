export { planCommand, type PlanOutput } from './plan-command.js';
export { fleetCommand } from './fleet-command.js';
export { CliError, EXIT } from './cli-error.js';
export { minerCommand } from './miner-command.js';
export { meterCommand } from './meter-command.js';
export { backtestCommand } from './backtest-command.js';
export { traceCommand, traceJson } from './trace-command.js';

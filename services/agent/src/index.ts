export * from './agent.js';
export * from './asic-host.js';
export * from './gpu-host.js';
export * from './host-devices.js';
export * from './workload.js';
export * from './endpoint-url.js';

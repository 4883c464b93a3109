export * from './validation.js';
export * from './fleet-file.js';
export * from './names.js';
export * from './agent-messages.js';
export * from './host-config.js';
export * from './rest.js';
export * from './meter-config.js';

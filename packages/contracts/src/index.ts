export * from './validation.js';
export * from './fleet-file.js';
export * from './keys.js';
export * from './persisted.js';
export * from './rest-responses.js';
export * from './agent-messages.js';
export * from './host-config.js';
export * from './rest.js';

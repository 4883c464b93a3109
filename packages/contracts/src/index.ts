export * from './validation.js';
export * from './fleet-file.js';

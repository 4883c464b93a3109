export * from './scheduler.js';
export * from './api.js';
export * from './auth.js';
export * from './config.js';
export * from './store.js';
export * from './problem.js';
export * from './grid-schedules.js';

export * from './ports.js';
export * from './wait-for.js';
export * from './child.js';
export * from './raw-request.js';
export * from './replay-server.js';
export * from './virtual-clock.js';
export * from './next-event.js';
export * from './tcp-proxy.js';

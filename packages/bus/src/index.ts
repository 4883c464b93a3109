export * from './redis.js';
export * from './embedded-redis.js';
export * from './telemetry-stream.js';
export * from './leader-lease.js';
export * from './acl.js';

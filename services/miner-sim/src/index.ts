export * from './sim-site.js';
export * from './miner/emulated-miner.js';
export * from './miner/physics.js';
export * from './miner/faults.js';
export * from './server/miner-server.js';
export * from './server/request-scanner.js';
export * from './server/truth-server.js';

export * from './luxos/protocol.js';
export * from './luxos/errors.js';
export * from './luxos/transport.js';
export * from './luxos/parse-reply.js';
export * from './luxos/luxos-client.js';
export * from './gpu/gpu-driver.js';
export * from './gpu/nvidia-smi.js';
export * from './gpu/sim-gpu.js';

import { parentPort, workerData } from 'node:worker_threads';
import type { SimOptions } from './sim-options.js';
import { SiteSimulation } from './simulation.js';

/** One policy's simulation in a worker thread (run.ts, `parallel`): progress and the result go back by message. */
const opts = workerData as Omit<SimOptions, 'onProgress' | 'onStep'>;
const result = new SiteSimulation({ ...opts, onProgress: (f) => parentPort!.postMessage({ progress: f }) }).run();
const s = result.series;
const buffers = Object.values(s).filter((v): v is Float64Array => v instanceof Float64Array).map((a) => a.buffer as ArrayBuffer);
parentPort!.postMessage({ result }, buffers);

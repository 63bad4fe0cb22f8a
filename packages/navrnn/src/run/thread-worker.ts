/**
 * A worker thread of a ThreadPool (threads.ts): builds the run's network on the run's CPU kernels,
 * then for each job takes chunks from the shared counter, writes their results to shared memory,
 * and, once every thread's chunks are done, adds its share of the gradient.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setBackend } from '@gridcells/tensor';
import { tensorKernels } from '../backends/resolve.js';
import { networkFor } from '../networks/build.js';
import { DONE, READY, addShare, chunksDone, jobFromShared, recordFailure, takeChunks, type JobLayout } from './threads.js';

const control = new Int32Array(workerData.control as SharedArrayBuffer);
const errorText = new Uint8Array(workerData.error as SharedArrayBuffer);
let data: Float32Array = new Float32Array(0);
let data64: Float64Array = new Float64Array(0);
let results: Float64Array = new Float64Array(0);

try {
  setBackend(tensorKernels(workerData.backend));
  const network = networkFor(workerData.cfg, workerData.backend);
  if (!network.trials) throw new Error(`network ${network.kind} on ${workerData.backend} has no chunks for threads`);
  const trials = network.trials;
  parentPort!.on('message', (m: { buffers?: { data: SharedArrayBuffer; data64: SharedArrayBuffer; results: SharedArrayBuffer }; layout?: JobLayout }) => {
    if (m.buffers) {
      data = new Float32Array(m.buffers.data);
      data64 = new Float64Array(m.buffers.data64);
      results = new Float64Array(m.buffers.results);
      return;
    }
    const layout = m.layout!;
    try {
      takeChunks(trials, jobFromShared(layout, data, data64), layout, control, results);
    } catch (e) {
      recordFailure(control, errorText, `worker thread: ${(e as Error).message}`);
    }
    if (chunksDone(control, workerData.threads)) addShare(layout, results, workerData.threads, workerData.index);
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  });
} catch (e) {
  recordFailure(control, errorText, `worker thread: ${(e as Error).message}`);
}
Atomics.add(control, READY, 1);
Atomics.notify(control, READY);

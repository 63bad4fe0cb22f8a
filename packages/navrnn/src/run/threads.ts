/**
 * A pool of worker threads that computes a batch's chunks of trials (networks/chunks.ts) with this
 * thread. The weights, the batch and the results live in shared memory; each thread takes the next
 * chunk from a shared counter until none is left (so a thread that also draws the next batch
 * simply takes fewer), and writes each chunk's result into that chunk's own slot. When every chunk
 * is done, each thread adds its share of the gradient's entries over the chunks, in chunk order
 * (addUp's arithmetic), so the sum never depends on which thread computed or added what, nor on
 * how many threads there are; nothing but the loss sums is left to this thread.
 *
 * The calls are synchronous (this thread waits with Atomics.wait), so Hessian-free's conjugate
 * gradient uses the pool as it is.
 */
import { Worker } from 'node:worker_threads';
import { Tensor, allocate, type Data } from '@gridcells/tensor';
import type { RunConfig } from '../config.js';
import type { ResolvedBackend } from '../backends/resolve.js';
import type { TrialSum } from '../networks/network.js';
import { gradientsLike, runChunk, type ChunkJob, type ChunkResult, type ChunkRunner } from '../networks/chunks.js';

/** Control words in shared memory (this thread's and the workers'). */
export const NEXT = 0; // the next chunk to take
export const DONE = 1; // workers that finished the current job
export const READY = 2; // workers that have started
export const FAILED = 3; // 1 when a thread failed (its message in the error buffer)
export const CHUNKED = 4; // threads (this one included) done with the current job's chunks
const CONTROL_WORDS = 5;

/** Records a failure for the waiting thread: the message in the error buffer, then the flag. */
export function recordFailure(control: Int32Array, errorText: Uint8Array, message: string): void {
  errorText.fill(0).set(new TextEncoder().encode(message).slice(0, errorText.length - 1));
  Atomics.store(control, FAILED, 1);
  Atomics.notify(control, DONE);
}
/** The most sums a chunk result holds. */
const SUMS = 4;
/** How long a job may take before the pool gives up on it (a worker that died never reports). */
const JOB_TIMEOUT_MS = 30 * 60 * 1000;

/** Where a job's arrays lie in the shared float buffer, and its other fields: what a worker needs. */
export interface JobLayout {
  kind: ChunkJob['kind'];
  chunks: [number, number][];
  wholeBatch: number;
  structural?: number;
  /** The weights in the network's order: [name, offset, shape]. */
  weights: [string, number, number[]][];
  v?: [number, number[]][];
  /** The batch's fields: float32 and float64 arrays by [kind, offset, length], numbers and nulls as they are. */
  batch: Record<string, ['f32' | 'f64', number, number] | number | null>;
  /** Floats of one chunk's result slot: SUMS sums, then the gradient parts. */
  slot: number;
  gradSizes: number[];
}

/** The job's weights, direction and batch as views of the shared buffers, as runChunk takes them. */
export function jobFromShared(layout: JobLayout, data: Float32Array, data64: Float64Array): ChunkJob {
  const view = (off: number, shape: number[]) => Tensor.fromData(data.subarray(off, off + shape.reduce((a, b) => a * b, 1)), shape);
  const batch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(layout.batch)) {
    batch[k] = Array.isArray(v) ? (v[0] === 'f32' ? data : data64).subarray(v[1], v[1] + v[2]) : v;
  }
  return {
    kind: layout.kind, chunks: layout.chunks, wholeBatch: layout.wholeBatch, structural: layout.structural, batch,
    weights: Object.fromEntries(layout.weights.map(([k, off, shape]) => [k, view(off, shape)])),
    v: layout.v?.map(([off, shape]) => view(off, shape)),
  };
}

/** Takes chunks from the shared counter until none is left, writing each result into its slot. */
export function takeChunks(trials: TrialSum, job: ChunkJob, layout: JobLayout, control: Int32Array, results: Float64Array): void {
  for (let i = Atomics.add(control, NEXT, 1); i < job.chunks.length; i = Atomics.add(control, NEXT, 1)) {
    const r = runChunk(trials, job, job.chunks[i]);
    const at = i * layout.slot;
    results.fill(0, at, at + SUMS);
    r.sums.forEach((v, k) => (results[at + k] = v));
    let off = at + SUMS;
    for (const g of r.grads) {
      results.set(g, off);
      off += g.length;
    }
  }
}

/** Where the added gradient lies in the results buffer: after the chunks' slots. */
function addedAt(layout: JobLayout): number {
  return layout.chunks.length * layout.slot;
}

/**
 * Thread `index` of `threads` adds its share of the gradient's entries over the chunks, in chunk
 * order, each from zero in float64 (as addUp does), into the added gradient.
 */
export function addShare(layout: JobLayout, results: Float64Array, threads: number, index: number): void {
  const length = layout.gradSizes.reduce((a, b) => a + b, 0);
  const from = Math.floor((index * length) / threads);
  const to = Math.floor(((index + 1) * length) / threads);
  const out = addedAt(layout);
  const slot = layout.slot;
  const chunks = layout.chunks.length;
  for (let k = from; k < to; k++) {
    let acc = 0;
    for (let c = 0, at = SUMS + k; c < chunks; c++, at += slot) acc += results[at];
    results[out + k] = acc;
  }
}

/** Counts this thread's chunks done, waking the threads that wait for every thread's. */
function markChunksDone(control: Int32Array): void {
  Atomics.add(control, CHUNKED, 1);
  Atomics.notify(control, CHUNKED);
}

/** Marks a worker's chunks done and waits for every thread's; false when a thread failed. */
export function chunksDone(control: Int32Array, threads: number): boolean {
  markChunksDone(control);
  for (let seen = Atomics.load(control, CHUNKED); seen < threads; seen = Atomics.load(control, CHUNKED)) {
    if (Atomics.load(control, FAILED)) return false;
    Atomics.wait(control, CHUNKED, seen, 1000);
  }
  return !Atomics.load(control, FAILED);
}

/** The worker script: the built JavaScript beside this module (tests run the sources, so map src to dist). */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL(here.replace(/\/src\/run\/threads\.ts$/, '/dist/run/thread-worker.js'));
  return new URL('./thread-worker.js', here);
}

/**
 * `threads` threads in all: this one and threads - 1 workers, each with the run's network on the
 * run's CPU kernels.
 *
 * @example
 * const pool = new ThreadPool(cfg, 'wasm', 2);
 * const net = chunked(networkFor(cfg, 'wasm'), pool, cfg.train.chunkTrials);
 * ...
 * await pool.close();
 */
export class ThreadPool implements ChunkRunner {
  private readonly workers: Worker[] = [];
  private readonly control: Int32Array;
  private readonly errorText: Uint8Array;
  private data: Float32Array = new Float32Array(new SharedArrayBuffer(4));
  private data64: Float64Array = new Float64Array(new SharedArrayBuffer(8));
  private results: Float64Array = new Float64Array(new SharedArrayBuffer(8));
  private readyChecked = false;

  constructor(cfg: RunConfig, backend: ResolvedBackend, readonly threads: number) {
    this.control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
    this.errorText = new Uint8Array(new SharedArrayBuffer(4096));
    for (let t = 1; t < threads; t++) {
      const w = new Worker(workerUrl(), { workerData: { cfg, backend, threads, index: t, control: this.control.buffer, error: this.errorText.buffer } });
      // a worker that fails outside a job still ends the waiting with an error
      w.on('error', (e) => recordFailure(this.control, this.errorText, `worker thread: ${e.message}`));
      w.unref();
      this.workers.push(w);
    }
  }


  /**
   * Waits until control word `word` reaches `target`; throws when a thread failed (a worker records
   * its failure before it counts itself done, so a failure is seen even when the count is reached)
   * or when the job takes too long.
   */
  private waitFor(word: number, target: number): void {
    const start = Date.now();
    for (;;) {
      const seen = Atomics.load(this.control, word);
      if (Atomics.load(this.control, FAILED)) {
        const text = new TextDecoder().decode(this.errorText.slice()).replace(/\0+$/, '');
        throw new Error(text || 'a worker thread failed');
      }
      if (seen >= target) return;
      if (Date.now() - start > JOB_TIMEOUT_MS) throw new Error(`worker threads: no result after ${JOB_TIMEOUT_MS / 60000} minutes`);
      Atomics.wait(this.control, word, seen, 1000);
    }
  }

  /** Grows the shared buffers to hold a job (new buffers are sent to the workers). */
  private ensure(floats: number, doubles: number, resultFloats: number): void {
    let changed = false;
    if (this.data.length < floats) {
      this.data = new Float32Array(new SharedArrayBuffer(4 * floats));
      changed = true;
    }
    if (this.data64.length < doubles) {
      this.data64 = new Float64Array(new SharedArrayBuffer(8 * doubles));
      changed = true;
    }
    if (this.results.length < resultFloats) {
      this.results = new Float64Array(new SharedArrayBuffer(8 * resultFloats));
      changed = true;
    }
    if (changed) for (const w of this.workers) w.postMessage({ buffers: { data: this.data.buffer, data64: this.data64.buffer, results: this.results.buffer } });
  }

  /** Copies a job into shared memory and describes where everything lies. */
  private layout(job: ChunkJob, gradSizes: number[]): JobLayout {
    const arrays: [Data, number][] = [];
    const arrays64: [Float64Array, number][] = [];
    let at = 0;
    let at64 = 0;
    const place = (d: Data) => {
      arrays.push([d, at]);
      at += d.length;
      return at - d.length;
    };
    const weights = Object.entries(job.weights).map(([k, t]) => [k, place(t.data), t.shape] as [string, number, number[]]);
    const v = job.v?.map((t) => [place(t.data), t.shape] as [number, number[]]);
    const batch: JobLayout['batch'] = {};
    for (const [k, val] of Object.entries(job.batch as Record<string, unknown>)) {
      if (val instanceof Float32Array) batch[k] = ['f32', place(val), val.length];
      else if (val instanceof Float64Array) {
        arrays64.push([val, at64]);
        batch[k] = ['f64', at64, val.length];
        at64 += val.length;
      } else if (typeof val === 'number' || val === null) batch[k] = val;
      else throw new Error(`worker threads: batch field ${k} cannot be shared`);
    }
    const length = gradSizes.reduce((a, b) => a + b, 0);
    const slot = SUMS + length;
    this.ensure(at, at64, job.chunks.length * slot + length);
    for (const [d, off] of arrays) this.data.set(d, off);
    for (const [d, off] of arrays64) this.data64.set(d, off);
    return { kind: job.kind, chunks: job.chunks, wholeBatch: job.wholeBatch, structural: job.structural, weights, v, batch, slot, gradSizes };
  }

  run(trials: TrialSum, job: ChunkJob, whileComputing?: () => void): ChunkResult {
    if (!this.readyChecked) {
      this.waitFor(READY, this.workers.length);
      this.readyChecked = true;
    }
    const like = gradientsLike(job);
    const layout = this.layout(job, like.map((d) => d.length));
    Atomics.store(this.control, NEXT, 0);
    Atomics.store(this.control, DONE, 0);
    Atomics.store(this.control, CHUNKED, 0);
    for (const w of this.workers) w.postMessage({ layout });
    try {
      whileComputing?.();
      takeChunks(trials, jobFromShared(layout, this.data, this.data64), layout, this.control, this.results);
    } catch (e) {
      // the workers wait for this thread's chunks: let them go
      recordFailure(this.control, this.errorText, (e as Error).message);
      throw e;
    }
    markChunksDone(this.control);
    this.waitFor(CHUNKED, this.threads);
    addShare(layout, this.results, this.threads, 0);
    this.waitFor(DONE, this.workers.length);
    const sums = job.kind === 'loss' ? Array.from({ length: SUMS }, (_, i) => job.chunks.reduce((s, _c, k) => s + this.results[k * layout.slot + i], 0)) : [];
    let at = addedAt(layout);
    const grads = like.map((d) => {
      const out = allocate(d instanceof Float64Array ? 'float64' : 'float32', d.length);
      out.set(this.results.subarray(at, at + d.length));
      at += d.length;
      return out;
    });
    return { sums, grads };
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

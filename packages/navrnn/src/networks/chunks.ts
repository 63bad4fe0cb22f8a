/**
 * A batch's loss and gradient computed in chunks of trials (TrialSum) and added in chunk order, by
 * a ChunkRunner: here in this thread, or on a pool of threads (run/threads.ts). The chunks are
 * fixed by the batch and the chunk size alone, so the result is the same for any thread count.
 */
import { allocate, type Data, type Tensor } from '@gridcells/tensor';
import { flatten, unflatten } from '@gridcells/autograd';
import type { CurvatureOfBatch, LossAndGradient, Network, TrialSum, Weights } from './network.js';

/** One job over a batch's chunks: the loss and gradient, or a Gauss-Newton product with `v`. */
export interface ChunkJob {
  kind: 'loss' | 'curvature';
  weights: Weights;
  batch: unknown;
  /** The trials [from, to) of each chunk, in the order their results are added. */
  chunks: [number, number][];
  wholeBatch: number;
  v?: Tensor[];
  structural?: number;
}

/** A chunk's result: loss sums (none for a curvature product) and gradient parts. */
export interface ChunkResult {
  sums: number[];
  grads: Data[];
}

/**
 * Runs a job's chunks and adds their results in chunk order (addUp's arithmetic). `whileComputing`
 * (called exactly once) is work for the calling thread while other threads compute.
 */
export interface ChunkRunner {
  run(trials: TrialSum, job: ChunkJob, whileComputing?: () => void): ChunkResult;
}

/** The arrays a job's gradient parts are shaped and typed like: its weights (loss) or v (curvature), in order. */
export function gradientsLike(job: ChunkJob): Data[] {
  return (job.kind === 'loss' ? Object.values(job.weights) : job.v!).map((t) => t.data);
}

/** One chunk of a job, computed in the calling thread. */
export function runChunk(trials: TrialSum, job: ChunkJob, chunk: [number, number]): ChunkResult {
  const part = trials.slice(job.batch, chunk[0], chunk[1]);
  if (job.kind === 'loss') return trials.partial(job.weights, part, job.wholeBatch);
  return { sums: [], grads: trials.curvaturePartial!(job.weights, part, job.v!, job.structural!, job.wholeBatch) };
}

/** Every chunk in this thread, in order. */
export const localRunner: ChunkRunner = {
  run: (trials, job, whileComputing) => {
    const results = job.chunks.map((c) => runChunk(trials, job, c));
    whileComputing?.();
    return addUp(results, gradientsLike(job));
  },
};

/** A batch of `trials` trials cut into chunks of `size` (the last may be smaller). */
export function chunkRanges(trials: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = 0; from < trials; from += size) out.push([from, Math.min(trials, from + size)]);
  return out;
}

/**
 * Chunk results added in order in float64, each entry from zero, then rounded to the dtype of
 * `like`: the sum every runner computes, whoever adds which entries.
 */
export function addUp(results: ChunkResult[], like: Data[]): ChunkResult {
  const sums = results[0].sums.map((_, i) => results.reduce((s, r) => s + r.sums[i], 0));
  const grads = like.map((d, g) => {
    const acc = new Float64Array(d.length);
    for (const r of results) {
      const part = r.grads[g];
      for (let k = 0; k < acc.length; k++) acc[k] += part[k];
    }
    const out = allocate(d instanceof Float64Array ? 'float64' : 'float32', d.length);
    out.set(acc);
    return out;
  });
  return { sums, grads };
}

/** The loss and gradient of a batch, chunk by chunk. */
export function chunkedLossAndGradient(
  network: Network, runner: ChunkRunner, chunkTrials: number, w: Weights, batch: unknown, whileComputing?: () => void,
): LossAndGradient {
  const trials = network.trials!;
  const whole = trials.trials(batch);
  // the weights in the network's order: the order of the gradient parts
  const weights = Object.fromEntries(Object.keys(network.shapes).map((k) => [k, w[k]]));
  const { sums, grads } = runner.run(trials, { kind: 'loss', weights, batch, chunks: chunkRanges(whole, chunkTrials), wholeBatch: whole }, whileComputing);
  return trials.finish(w, batch, sums, grads);
}

/**
 * Hessian-free's view of one batch, chunk by chunk: loss and gradient on the batch (with its
 * noise), Gauss-Newton products on its curvature sub-batch. Remembers its last gradient evaluation
 * for the metrics.
 */
export class ChunkedCurvature implements CurvatureOfBatch {
  last: LossAndGradient | null = null;
  readonly batchSize: number;
  private readonly curvature: unknown;
  private readonly names: string[];
  private readonly shapes: number[][];

  constructor(
    private readonly network: Network, private readonly runner: ChunkRunner, private readonly chunkTrials: number,
    private readonly batch: unknown, curvatureFraction: number,
  ) {
    const trials = network.trials;
    if (!trials?.curvatureBatch || !trials.curvaturePartial || !trials.curvatureFinish) {
      throw new Error(`network ${network.kind} has no Gauss-Newton products for Hessian-free`);
    }
    this.curvature = trials.curvatureBatch(batch, curvatureFraction);
    this.batchSize = trials.trials(batch);
    this.names = Object.keys(network.shapes);
    this.shapes = this.names.map((k) => network.shapes[k]);
  }

  private weights(theta: Float64Array): Weights {
    const ts = unflatten(theta, this.shapes, 'float32');
    return Object.fromEntries(this.names.map((k, i) => [k, ts[i]]));
  }

  /** The loss at weights theta (flat, in the network's order). */
  loss(theta: Float64Array): number {
    return chunkedLossAndGradient(this.network, this.runner, this.chunkTrials, this.weights(theta), this.batch).loss;
  }

  /** The loss and its flat gradient at theta. */
  lossAndGradient(theta: Float64Array) {
    this.last = chunkedLossAndGradient(this.network, this.runner, this.chunkTrials, this.weights(theta), this.batch);
    return { loss: this.last.loss, gradient: flatten(this.last.grads) };
  }

  /** The Gauss-Newton matrix (with structural damping) at theta times v, on the curvature sub-batch. */
  curvatureProduct(theta: Float64Array, v: Float64Array, structural: number): Float64Array {
    const trials = this.network.trials!;
    const vs = unflatten(v, this.shapes, 'float32');
    const whole = trials.trials(this.curvature);
    const { grads } = this.runner.run(trials, {
      kind: 'curvature', weights: this.weights(theta), batch: this.curvature, chunks: chunkRanges(whole, this.chunkTrials), wholeBatch: whole, v: vs, structural,
    });
    return flatten(trials.curvatureFinish!(vs, grads));
  }
}

/**
 * The network with its loss, gradient and curvature computed chunk by chunk by `runner` (networks
 * without a TrialSum are returned as they are).
 */
export function chunked<W extends Weights, TB>(network: Network<W, TB>, runner: ChunkRunner, chunkTrials: number): Network<W, TB> {
  if (!network.trials) return network;
  const view = Object.create(network) as Network<W, TB>;
  view.lossAndGradient = (w, batch, whileComputing) => chunkedLossAndGradient(network as Network, runner, chunkTrials, w, batch, whileComputing);
  if (network.trials.curvaturePartial) view.curvature = (batch, fraction) => new ChunkedCurvature(network as Network, runner, chunkTrials, batch, fraction);
  return view;
}


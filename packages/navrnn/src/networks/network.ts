/**
 * What every path-integrating network of this package is to the training loop, the run folder and
 * the analysis: its weights, its loss and gradient on a batch, and its activity on trajectories.
 * The CuevaRNN (networks/cueva) and the PlaceCellRNN (networks/placecell) implement it; nothing
 * outside networks/ needs to know which one it holds.
 */
import type { Data, Rng, Tensor } from '@gridcells/tensor';
import type { CurvatureSystem } from '@gridcells/autograd';
import { positionsAfterSteps, type Trajectories } from '../world/trajectory.js';

/** A network's weights by name (W_rec, W_in, ...), each a Tensor. */
export type Weights = { [name: string]: Tensor };

/** The loss of one batch and its gradient. */
export interface LossAndGradient {
  loss: number;
  /** One gradient per weight, in the order of `Network.shapes`. */
  grads: Tensor[];
  /** The loss's parts under their metrics.jsonl names (e.g. mse, rate_cost, cross_entropy). */
  parts: Record<string, number>;
}

/** A network run on trajectories without learning. */
export interface Activity {
  /** The hidden units' activity after each step, [T][B][N] (empty when not asked for). */
  rates: Float32Array;
  /** The network's estimate of its position after each step, [T][B][2], metres. */
  estimates: ArrayLike<number>;
}

/** The Gauss-Newton system of one batch for Hessian-free, remembering its last gradient evaluation. */
export interface CurvatureOfBatch extends CurvatureSystem {
  /** The loss and gradient of the system's last `lossAndGradient` call (for the metrics). */
  readonly last: LossAndGradient | null;
}

/**
 * A loss that is a sum over a batch's trials, so its value and gradient (and Gauss-Newton
 * products) can be computed in chunks of trials, on any number of threads, and added in a fixed
 * order: the same result whatever the number of threads. Each chunk's terms are normalised as
 * parts of the whole batch.
 */
export interface TrialSum<W extends Weights = Weights, TB = unknown> {
  /** The number of trials in a batch. */
  trials(batch: TB): number;
  /** Trials [from, to) of a batch, as a batch of their own. */
  slice(batch: TB, from: number, to: number): TB;
  /** A chunk's loss sums and gradient (terms that are not sums over trials left out). */
  partial(w: W, chunk: TB, wholeBatch: number): { sums: number[]; grads: Data[] };
  /** The batch's loss and gradient from its chunks' added sums and gradients (in the weights' dtype). */
  finish(w: W, batch: TB, sums: number[], grads: Data[]): LossAndGradient;
  /** Hessian-free: the curvature sub-batch of a batch (its first `fraction` of trials, noiseless). */
  curvatureBatch?(batch: TB, fraction: number): TB;
  /** A chunk's part of the Gauss-Newton product G v (terms that are not sums over trials left out). */
  curvaturePartial?(w: W, chunk: TB, v: Tensor[], structural: number, wholeBatch: number): Data[];
  /** The product from its chunks' added parts. */
  curvatureFinish?(v: Tensor[], grads: Data[]): Tensor[];
}

/**
 * A path-integrating network, built for one run's config and one set of kernels. W is its weights,
 * TB one training batch as its loss reads it.
 */
export interface Network<W extends Weights = Weights, TB = unknown> {
  /** 'cueva' or 'placecell' (the config's `network`). */
  readonly kind: string;
  /** Hidden units N: the cells whose rate maps are analysed. */
  readonly units: number;
  /** Weight shapes by name, in the fixed order of gradients, optimizer state and checkpoints. */
  readonly shapes: Record<string, number[]>;
  /** Units are signed (tanh, in (-1, 1)) rather than non-negative rates (ReLU). */
  readonly signedRates: boolean;
  /**
   * Every trial starts at the arena's centre with the state at zero (the CuevaRNN), rather than
   * anywhere with the start position given to the network (the PlaceCellRNN).
   */
  readonly startsAtCentre: boolean;
  /** Initial weights, from the run's init stream. */
  init(rng: Rng): W;
  /** A training batch from trajectories; per-batch randomness (the recurrent noise) comes from `rng`. */
  trainingBatch(tr: Trajectories, rng: Rng): TB;
  /**
   * Optional: takes back a training batch no one will read again, so the next `trainingBatch` can
   * fill its largest array instead of allocating one (at batch 500 the CuevaRNN's noise is 100 MB,
   * and fresh pages cost more than the draws' writes).
   */
  recycle?(batch: TB): void;
  /**
   * The loss of a batch and its gradient with respect to every weight. `whileComputing` (called
   * exactly once) is work for this thread while others (a GPU, worker threads) compute.
   */
  lossAndGradient(w: W, batch: TB, whileComputing?: () => void): LossAndGradient | Promise<LossAndGradient>;
  /**
   * Hessian-free's view of one batch: loss and gradient on the batch, Gauss-Newton products on a
   * curvature sub-batch of `curvatureFraction` of its trials. Absent where the network has none.
   */
  curvature?(batch: TB, curvatureFraction: number): CurvatureOfBatch;
  /** The loss as a sum over trials, where the kernels allow chunks (the CPU kernels). */
  readonly trials?: TrialSum<W, TB>;
  /**
   * Arrays the network is built with besides its weights (the place cells' centres, [count, 2] in
   * metres), saved once in the run folder as NAME.npy so a re-analysis does not depend on redrawing
   * them from the seed.
   */
  readonly fixedArrays?: Record<string, { data: Float64Array; shape: number[] }>;
  /** Runs the network on trajectories; `keepRates: false` skips the rates (long paths). */
  run(w: W, tr: Trajectories, opts?: { keepRates?: boolean }): Activity;
  /** Releases kernels and device memory. */
  dispose(): void;
}

/** The weights in the network's order (the order of `shapes`). */
export function weightList(network: Network, w: Weights): Tensor[] {
  return Object.keys(network.shapes).map((k) => w[k]);
}

/**
 * Mean distance (cm) between a network's position estimates and the true positions after each
 * step, and the same for always answering the arena's centre (the origin): the error every
 * evaluation reports.
 */
export function positionError(estimates: ArrayLike<number>, tr: Trajectories): { errorCm: number; centreCm: number } {
  const truth = positionsAfterSteps(tr);
  const n = truth.length / 2;
  let e = 0;
  let c = 0;
  for (let k = 0; k < n; k++) {
    e += Math.hypot(estimates[2 * k] - truth[2 * k], estimates[2 * k + 1] - truth[2 * k + 1]);
    c += Math.hypot(truth[2 * k], truth[2 * k + 1]);
  }
  return { errorCm: (100 * e) / n, centreCm: (100 * c) / n };
}

/** A network's position error on trajectories (see positionError). */
export function evaluate(network: Network, w: Weights, tr: Trajectories): { errorCm: number; centreCm: number } {
  return positionError(network.run(w, tr, { keepRates: false }).estimates, tr);
}

/**
 * The continuous-time RNN of Cueva & Wei (ICLR 2018):
 *
 *   tau dx/dt = -x + W_rec^T tanh(x) + W_in^T I + b + xi
 *
 * integrated with Euler steps of dt = tau / 10:
 *
 *   x_t = 0.9 x_{t-1} + 0.1 (tanh(x_{t-1}) W_rec + I_t W_in + b + xi_t),   u_t = tanh(x_t),
 *   y_t = u_t W_out   (the estimate of (x, y), no bias).
 *
 * tanh is the paper's rate function; `activation` may replace it by relu or by rectified tanh,
 * max(0, tanh(x)) (non-negative units, which theory says favour hexagonal lattices).
 *
 * Row-vector convention: a batch of states is [B, N]; W_rec[i, j] is the weight from unit i to
 * unit j, W_in is [nInputs, N], W_out is [N, 2]. The state starts at zero, at the arena's centre
 * (the paper); with `startEncoder`, trials start anywhere and the network is told where: the
 * initial state is x_0 = p_0 W_start, a learned linear encoding of the start position p_0
 * (W_start [2, N]), as the place-cell network sets its state from the start's place-cell code.
 *
 * Loss = MSE(y_t, p_t) over steps, trials and both coordinates
 *      + lambdaWeights (mean W_in^2 + mean W_out^2)   (weight cost on input and output weights)
 *      + lambdaRates mean(u^2)                         (metabolic cost on the rates)
 */
import { Rng, Tensor, normal, orthogonal, zeros, type DType, type Data } from '@gridcells/tensor';
import * as ag from '@gridcells/autograd';
import type { Activation } from '../../config.js';
import { noGrad, type Var, type Value } from '@gridcells/autograd';
import { expandNoise, isCounterNoise, type CounterNoise } from './counter-noise.js';

/** The CuevaRNN's size, Euler step, noise, costs and initialisation. */
export interface CuevaModelConfig {
  hidden: number;
  nInputs: number;
  /** dt / tau of the Euler step (0.1 in the paper). */
  alpha: number;
  /** Standard deviation of the Gaussian noise xi added to the recurrent drive each step. */
  noiseStd: number;
  lambdaWeights: number;
  lambdaRates: number;
  /** 'orthogonal' (square, triangle arenas) or 'gaussian' with variance initGain^2 / N (hexagon). */
  init: 'orthogonal' | 'gaussian';
  initGain: number;
  /** The rate function u = f(x): tanh (the paper, default), relu, or rectified tanh max(0, tanh(x)). */
  activation?: Activation;
  /** Trials start anywhere, and the initial state encodes the start: x_0 = p_0 W_start (default: no). */
  startEncoder?: boolean;
}

/** The rate function of a config, on the autograd tape. */
export function rateFunction(cfg: CuevaModelConfig): (x: Value) => Var {
  switch (cfg.activation ?? 'tanh') {
    case 'relu': return (x) => ag.relu(x);
    case 'rectified-tanh': return (x) => ag.relu(ag.tanh(x));
    default: return (x) => ag.tanh(x);
  }
}

/** The trainable weights, in a fixed order (the order of optimizer state and checkpoints). */
export type CuevaParams = {
  wRec: Tensor;
  wIn: Tensor;
  b: Tensor;
  wOut: Tensor;
  /** The start position's encoder [2, N] (only with `startEncoder`). */
  wStart?: Tensor;
};

/** The weights' names in their fixed order (gradients, optimizer state, checkpoints); wStart last, where there is one. */
export const PARAM_NAMES = ['wRec', 'wIn', 'b', 'wOut', 'wStart'] as const;
/** One of PARAM_NAMES. */
export type ParamName = (typeof PARAM_NAMES)[number];

/** The weights' shapes by name, in PARAM_NAMES order (wStart only with `startEncoder`). */
export function paramShapes(cfg: CuevaModelConfig): Partial<Record<ParamName, number[]>> {
  const shapes: Partial<Record<ParamName, number[]>> = { wRec: [cfg.hidden, cfg.hidden], wIn: [cfg.nInputs, cfg.hidden], b: [cfg.hidden], wOut: [cfg.hidden, 2] };
  if (cfg.startEncoder) shapes.wStart = [2, cfg.hidden];
  return shapes;
}

/**
 * The paper's initialisation: W_rec orthogonal or Gaussian (variance g^2/N), W_in ~ N(0, 1/nInputs), b = 0, W_out = 0;
 * W_start ~ N(0, 1/2) like an input weight (drawn last, so the others do not depend on it).
 */
export function initParams(cfg: CuevaModelConfig, rng: Rng, dtype: DType = 'float32'): CuevaParams {
  const N = cfg.hidden;
  const wRec = cfg.init === 'orthogonal'
    ? orthogonal(rng, N, cfg.initGain, dtype)
    : normal(rng, [N, N], 0, cfg.initGain / Math.sqrt(N), dtype);
  const wIn = normal(rng, [cfg.nInputs, N], 0, 1 / Math.sqrt(cfg.nInputs), dtype);
  const p: CuevaParams = { wRec, wIn, b: zeros([N], dtype), wOut: zeros([N, 2], dtype) };
  if (cfg.startEncoder) p.wStart = normal(rng, [2, N], 0, 1 / Math.SQRT2, dtype);
  return p;
}

/** The weights in PARAM_NAMES order (those the network has). */
export function paramList(p: CuevaParams): Tensor[] {
  return PARAM_NAMES.filter((k) => p[k] !== undefined).map((k) => p[k]!);
}

/** A batch of trials, time-major: inputs [T][B][nInputs], targets [T][B][2] (positions after each step). */
export interface Batch {
  steps: number;
  batch: number;
  inputs: Float32Array;
  targets: Float32Array;
  /**
   * Noise xi, [T][B][N], already scaled by noiseStd, or the seed it is drawn from by a
   * counter-based generator (what the gpu.js kernels take); null for no noise.
   */
  noise: Float32Array | CounterNoise | NoiseTrials | null;
  /** Start positions [B][2], metres (read by a network with `startEncoder`). */
  starts?: Float32Array | null;
}

/**
 * The initial state x_0 of a batch: zero, or with `startEncoder` the start positions' encoding
 * p_0 W_start (on the autograd tape when W_start is a Var).
 */
export function initialState(cfg: CuevaModelConfig, wStart: Value | undefined, starts: Float32Array | null | undefined, batch: number, dtype: DType = 'float32'): Value {
  const enc = startEncoding(cfg, wStart, starts);
  return enc ? ag.matmul(cast(Tensor.fromData(enc.starts, [batch, 2]), dtype), enc.wStart) : zeros([batch, cfg.hidden], dtype);
}

/**
 * W_start and the start positions where the network has a start encoder (null where it has none);
 * an encoder without either is an error.
 */
export function startEncoding<W>(cfg: CuevaModelConfig, wStart: W | undefined, starts: Float32Array | null | undefined): { wStart: W; starts: Float32Array } | null {
  if (!cfg.startEncoder) return null;
  if (wStart === undefined || !starts) throw new Error('CuevaRNN: a network with a start encoder needs W_start and the trials\' start positions');
  return { wStart, starts };
}

/**
 * A chunk's noise left where it is: trials [from, from + B) of `all`, the noise [T][of][N] of the
 * batch the chunk was cut from (the fused BPTT copies it into its working set once).
 */
export interface NoiseTrials {
  all: Float32Array;
  of: number;
  from: number;
}

/** Whether a batch's noise is a chunk's view of its batch's noise. */
export function isNoiseTrials(x: unknown): x is NoiseTrials {
  return typeof x === 'object' && x !== null && (x as NoiseTrials).all instanceof Float32Array;
}

/** The batch's noise [T][B][N] written into `out` (counter noise expanded, a chunk's gathered); nothing for none. */
export function noiseInto(data: Batch, hidden: number, out: Data): void {
  const { noise, steps: T, batch: B } = data;
  if (noise === null) return;
  if (isCounterNoise(noise)) out.set(expandNoise(noise, T, B, hidden));
  else if (isNoiseTrials(noise)) {
    for (let t = 0; t < T; t++) out.set(noise.all.subarray((t * noise.of + noise.from) * hidden, (t * noise.of + noise.from + B) * hidden), t * B * hidden);
  } else out.set(noise);
}

/** The batch's noise as an array [T][B][N], or null. */
export function noiseArray(data: Batch, hidden: number): Float32Array | null {
  if (data.noise === null) return null;
  if (data.noise instanceof Float32Array) return data.noise;
  const out = new Float32Array(data.steps * data.batch * hidden);
  noiseInto(data, hidden, out);
  return out;
}

/** The loss and its parts, as autograd values. */
export interface LossParts {
  total: Var;
  mse: Var;
  weightCost: Var;
  rateCost: Var;
}

function stepSlice(data: Float32Array, t: number, rows: number, cols: number): Tensor {
  return Tensor.fromData(data.subarray(t * rows * cols, (t + 1) * rows * cols), [rows, cols]);
}

/**
 * The loss of a batch, as a differentiable function of the weights (Vars or Tensors). This is
 * the reference implementation: every step through the autograd tape. `wStart`: the start
 * encoder of a network with one.
 */
export function cuevaLoss(
  cfg: CuevaModelConfig, wRec: Value, wIn: Value, b: Value, wOut: Value, data: Batch, dtype: DType = 'float32', wStart?: Value,
): LossParts {
  const { steps: T, batch: B } = data;
  const N = cfg.hidden;
  let x: Value = initialState(cfg, wStart, data.starts, B, dtype);
  let sqErr: Var | null = null;
  let sqRate: Var | null = null;
  const noise = noiseArray(data, N);
  const f = rateFunction(cfg);
  for (let t = 0; t < T; t++) {
    const u = f(x);
    let drive = ag.add(ag.add(ag.matmul(u, wRec), ag.matmul(cast(stepSlice(data.inputs, t, B, cfg.nInputs), dtype), wIn)), b);
    if (noise) drive = ag.add(drive, cast(stepSlice(noise, t, B, N), dtype));
    x = ag.add(ag.mul(x, 1 - cfg.alpha), ag.mul(drive, cfg.alpha));
    const ut = f(x);
    const e = ag.sum(ag.square(ag.sub(ag.matmul(ut, wOut), cast(stepSlice(data.targets, t, B, 2), dtype))));
    const r = ag.sum(ag.square(ut));
    sqErr = sqErr ? ag.add(sqErr, e) : e;
    sqRate = sqRate ? ag.add(sqRate, r) : r;
  }
  const mse = ag.div(sqErr!, T * B * 2);
  const rateCost = ag.mul(cfg.lambdaRates, ag.div(sqRate!, T * B * N));
  const weightCost = ag.mul(cfg.lambdaWeights, ag.add(ag.mean(ag.square(wIn)), ag.mean(ag.square(wOut))));
  return { total: ag.add(ag.add(mse, weightCost), rateCost), mse, weightCost, rateCost };
}

function cast(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype ? t : t.astype(dtype);
}

/** A forward run of the network: its estimates and rates. */
export interface Rollout {
  /** Estimates [T][B][2]. */
  estimates: Float32Array;
  /** Rates u_t = f(x_t), [T][B][N]. */
  rates: Float32Array;
}

/**
 * Runs the network forward without recording gradients (evaluation and analysis). With
 * `keepRates: false` (long paths) the rates are not kept and `rates` is empty; `starts` [B][2]:
 * the start positions, for a network with a start encoder.
 */
export function rollout(
  cfg: CuevaModelConfig, p: CuevaParams, inputs: Float32Array, steps: number, batch: number, noise: Float32Array | null = null,
  opts: { keepRates?: boolean; starts?: Float32Array } = {},
): Rollout {
  const keep = opts.keepRates ?? true;
  return noGrad(() => {
    const N = cfg.hidden;
    const estimates = new Float32Array(steps * batch * 2);
    const rates = new Float32Array(keep ? steps * batch * N : 0);
    let x: Value = initialState(cfg, p.wStart, opts.starts, batch);
    const f = rateFunction(cfg);
    for (let t = 0; t < steps; t++) {
      let drive = ag.add(ag.add(ag.matmul(f(x), p.wRec), ag.matmul(stepSlice(inputs, t, batch, cfg.nInputs), p.wIn)), p.b);
      if (noise) drive = ag.add(drive, stepSlice(noise, t, batch, N));
      x = ag.add(ag.mul(x, 1 - cfg.alpha), ag.mul(drive, cfg.alpha));
      const u = f(x);
      if (keep) rates.set(u.value.data, t * batch * N);
      estimates.set(ag.matmul(u, p.wOut).value.data, t * batch * 2);
    }
    return { estimates, rates };
  });
}

/**
 * Gaussian noise xi for a batch: [T][B][N] standard normals times `std` (null when std is 0),
 * written into `into` when it has the size (every element is overwritten).
 */
export function drawNoise(rng: Rng, steps: number, batch: number, hidden: number, std: number, into: Float32Array | null = null): Float32Array | null {
  if (std === 0) return null;
  const n = steps * batch * hidden;
  const out = into?.length === n ? into : new Float32Array(n);
  rng.fillNormal(out, std);
  return out;
}

/**
 * The network's outputs through the autograd tape, without noise: every readout y_t ([T B, 2])
 * and every rate vector u_t ([T B, N]). The Gauss-Newton reference builds on these.
 */
export function cuevaOutputs(
  cfg: CuevaModelConfig, wRec: Value, wIn: Value, b: Value, wOut: Value, data: Batch, dtype: DType = 'float32', wStart?: Value,
): { y: Var; u: Var } {
  const { steps: T, batch: B } = data;
  let x: Value = initialState(cfg, wStart, data.starts, B, dtype);
  const ys: Var[] = [];
  const us: Var[] = [];
  const f = rateFunction(cfg);
  for (let t = 0; t < T; t++) {
    const drive = ag.add(ag.add(ag.matmul(f(x), wRec), ag.matmul(cast(stepSlice(data.inputs, t, B, cfg.nInputs), dtype), wIn)), b);
    x = ag.add(ag.mul(x, 1 - cfg.alpha), ag.mul(drive, cfg.alpha));
    const u = f(x);
    us.push(u);
    ys.push(ag.matmul(u, wOut));
  }
  return { y: ag.concat(ys, 0), u: ag.concat(us, 0) };
}

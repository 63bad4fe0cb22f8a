/**
 * The CuevaRNN as a Hessian-free curvature system: loss and gradient on the gradient batch (with
 * its noise), Gauss-Newton products on a noiseless curvature sub-batch, all on the fused kernels.
 */
import type { Backend } from '@gridcells/tensor';
import { flatten, unflatten } from '@gridcells/autograd';
import { cuevaGaussNewton, cuevaLossAndGrad } from './bptt.js';
import { PARAM_NAMES, paramShapes, type Batch, type CuevaModelConfig, type CuevaParams } from './model.js';
import type { CurvatureOfBatch, LossAndGradient } from '../network.js';
import { lossParts } from './loss-parts.js';

/** The first `trials` trials of a batch, without noise (time-major, so each step's rows are gathered). */
export function subBatch(data: Batch, trials: number, nInputs: number): Batch {
  const { steps: T, batch: B } = data;
  const take = (src: Float32Array, width: number) => {
    const out = new Float32Array(T * trials * width);
    for (let t = 0; t < T; t++) out.set(src.subarray(t * B * width, (t * B + trials) * width), t * trials * width);
    return out;
  };
  return { steps: T, batch: trials, inputs: take(data.inputs, nInputs), targets: take(data.targets, 2), noise: null };
}

/**
 * One batch's curvature system. Remembers the loss and gradient of its last gradient evaluation
 * for the metrics.
 */
export class CuevaCurvatureSystem implements CurvatureOfBatch {
  last: LossAndGradient | null = null;
  readonly batchSize: number;
  private readonly shapes: number[][];
  constructor(
    private readonly model: CuevaModelConfig, private readonly data: Batch, private readonly curvature: Batch,
    private readonly kernels: Backend,
  ) {
    const s = paramShapes(model);
    this.shapes = PARAM_NAMES.map((k) => s[k]);
    this.batchSize = data.batch;
  }
  private params(theta: Float64Array): CuevaParams {
    const [wRec, wIn, b, wOut] = unflatten(theta, this.shapes, 'float32');
    return { wRec, wIn, b, wOut };
  }
  /** The loss at weights theta (flat, in PARAM_NAMES order). */
  loss(theta: Float64Array): number {
    return cuevaLossAndGrad(this.model, this.params(theta), this.data, this.kernels).loss;
  }
  /** The loss and its flat gradient at theta. */
  lossAndGradient(theta: Float64Array) {
    const r = cuevaLossAndGrad(this.model, this.params(theta), this.data, this.kernels);
    this.last = { loss: r.loss, grads: r.grads, parts: lossParts(r) };
    return { loss: r.loss, gradient: flatten(r.grads) };
  }
  /** The Gauss-Newton matrix (with structural damping) at theta times v, on the curvature sub-batch. */
  curvatureProduct(theta: Float64Array, v: Float64Array, structural: number): Float64Array {
    return flatten(cuevaGaussNewton(this.model, this.params(theta), this.curvature, unflatten(v, this.shapes, 'float32'), structural, this.kernels));
  }
}

/**
 * The CuevaRNN (model.ts) as a `Network`, on one of three kinds of kernels: the autograd tape (the
 * oracle), the fused BPTT on the tensor kernels (WebAssembly SIMD or TypeScript), or the gpu.js
 * kernels (a GPU through WebGPU, or gpu.js's CPU backends), which draw the noise themselves.
 */
import { getBackend, setBackend, type Backend, type Rng } from '@gridcells/tensor';
import { valueAndGrad } from '@gridcells/autograd';
import { INPUT_SIZE, gatherTrials, positionsAfterSteps, type Encoding, type Trajectories } from '../../world/trajectory.js';
import type { Activity, LossAndGradient, Network, TrialSum } from '../network.js';
import { assembleLoss, cuevaGaussNewtonPartial, cuevaLossAndGrad, cuevaPartial, gaussNewtonWithWeightCost } from './bptt.js';
import { GpuJsCueva } from './gpujs.js';
import { ChunkedCurvature, localRunner } from '../chunks.js';
import type { GpuJsMode } from '../../backends/resolve.js';
import { lossParts } from './loss-parts.js';
import { cuevaLoss, drawNoise, initParams, isNoiseTrials, paramList, paramShapes, rollout, type Batch, type CuevaModelConfig, type CuevaParams } from './model.js';

/** What computes the CuevaRNN's loss and gradient. */
export type CuevaKernels =
  | { kind: 'autograd' }
  | { kind: 'fused'; kernels: Backend }
  | { kind: 'gpujs'; mode: GpuJsMode; steps: number; batch: number };

/** The trials' start positions [B][2] (float32). */
export function startPositions(tr: Trajectories): Float32Array {
  return Float32Array.from(tr.positions.subarray(0, tr.batch * 2));
}

/** A batch of trajectories as the CuevaRNN's loss reads it (targets: the positions after each step, float32). */
export function toBatch(tr: Trajectories, noise: Batch['noise']): Batch {
  return { steps: tr.steps, batch: tr.batch, inputs: tr.inputs, targets: Float32Array.from(positionsAfterSteps(tr)), noise, starts: startPositions(tr) };
}

/**
 * Trials [from, to) of a batch (time-major, so each step's rows are gathered), with their noise
 * when it is an array: that one read in place (NoiseTrials).
 */
export function sliceCuevaTrials(data: Batch, from: number, to: number, nInputs: number, hidden: number): Batch {
  const { steps: T, batch: B } = data;
  const take = (src: Float32Array, width: number) => gatherTrials(src, T, B, from, to, width);
  const { noise } = data;
  let trialsNoise: Batch['noise'] = null;
  // the noise stays where it is, for the fused BPTT to copy into its working set once
  if (noise instanceof Float32Array) trialsNoise = { all: noise, of: B, from };
  else if (isNoiseTrials(noise)) trialsNoise = { ...noise, from: noise.from + from };
  else if (noise !== null) throw new Error('sliceTrials: counter noise is drawn on the device; give the batch its noise as an array');
  return {
    steps: T, batch: to - from, inputs: take(data.inputs, nInputs), targets: take(data.targets, 2), noise: trialsNoise,
    starts: data.starts ? data.starts.slice(2 * from, 2 * to) : null,
  };
}

/**
 * A training step's noise from the run's data stream: the gpu.js kernels (`onDevice`) draw it on
 * the device from one 32-bit seed (counter-noise.ts); the CPU kernels read normals drawn here. The
 * two streams differ, so a run is reproducible for one seed and one backend, as every run is.
 */
export function trainingNoise(onDevice: boolean, rng: Rng, steps: number, batch: number, model: CuevaModelConfig, into: Float32Array | null = null): Batch['noise'] {
  if (model.noiseStd === 0) return null;
  if (onDevice) return { seed: rng.int(2 ** 32), std: model.noiseStd };
  return drawNoise(rng, steps, batch, model.hidden, model.noiseStd, into);
}

/** The model config of a CuevaRNN with the given input encoding. */
export function cuevaModel(model: Omit<CuevaModelConfig, 'nInputs'>, encoding: Encoding): CuevaModelConfig {
  return { ...model, nInputs: INPUT_SIZE[encoding] };
}

/**
 * The loss and gradient of a batch on the CPU: the fused BPTT on the given tensor kernels, or the
 * autograd tape through every step ('autograd', the oracle).
 */
export function cuevaLossAndGradient(model: CuevaModelConfig, kernels: Backend | 'autograd', w: CuevaParams, batch: Batch): LossAndGradient {
  if (kernels !== 'autograd') {
    const r = cuevaLossAndGrad(model, w, batch, kernels);
    return { loss: r.loss, grads: r.grads, parts: lossParts(r) };
  }
  let parts: ReturnType<typeof cuevaLoss> | null = null;
  const list = paramList(w);
  const { value, grads } = valueAndGrad((wRec, wIn, b, wOut, wStart) => {
    parts = cuevaLoss(model, wRec, wIn, b, wOut, batch, 'float32', wStart);
    return parts.total;
  }, list.map((_, k) => k))(...list);
  const p = parts!;
  return { loss: value, grads, parts: lossParts({ mse: p.mse.item(), weightCost: p.weightCost.item(), rateCost: p.rateCost.item() }) };
}

/**
 * @example
 * const net = new CuevaNetwork(model, { kind: 'fused', kernels: getBackend() });
 * const w = net.init(new Rng(0));
 * const { loss, grads } = await net.lossAndGradient(w, net.trainingBatch(trajectories, rng));
 */
export class CuevaNetwork implements Network<CuevaParams, Batch> {
  readonly kind = 'cueva';
  readonly units: number;
  readonly shapes: Record<string, number[]>;
  readonly signedRates: boolean;
  readonly startsAtCentre: boolean;
  readonly trials?: TrialSum<CuevaParams, Batch>;
  private readonly gpujs: GpuJsCueva | null;
  /** A recycled batch's noise array, for the next training batch to fill. */
  private spareNoise: Float32Array | null = null;

  /**
   * `kernels` compute the loss and gradient; `cpuKernels` (default: the fused kernels, else the
   * current tensor backend) run the network forward for evaluation and analysis.
   */
  constructor(readonly model: CuevaModelConfig, readonly kernels: CuevaKernels, readonly cpuKernels: Backend = kernels.kind === 'fused' ? kernels.kernels : getBackend()) {
    this.units = model.hidden;
    this.shapes = paramShapes(model) as Record<string, number[]>;
    this.startsAtCentre = !model.startEncoder;
    if (kernels.kind === 'gpujs' && model.startEncoder) throw new Error('the gpu.js kernels start every trial at the centre; a start encoder runs on the fused kernels');
    // relu and rectified tanh units are non-negative rates
    this.signedRates = (model.activation ?? 'tanh') === 'tanh';
    if (kernels.kind === 'gpujs' && this.signedRates === false) throw new Error(`the gpu.js kernels compute tanh units only, not ${model.activation}`);
    this.gpujs = kernels.kind === 'gpujs'
      ? new GpuJsCueva(kernels.mode, model, { T: kernels.steps, B: kernels.batch, N: model.hidden, nIn: model.nInputs })
      : null;
    if (kernels.kind === 'fused') this.trials = this.fusedTrials(kernels.kernels);
  }

  /** The fused BPTT's loss as a sum over trials (chunks for threads; Gauss-Newton for Hessian-free). */
  private fusedTrials(k: Backend): TrialSum<CuevaParams, Batch> {
    const m = this.model;
    return {
      trials: (batch) => batch.batch,
      slice: (batch, from, to) => (from === 0 && to === batch.batch ? batch : sliceCuevaTrials(batch, from, to, m.nInputs, m.hidden)),
      partial: (w, chunk, whole) => cuevaPartial(m, w, chunk, k, whole),
      finish: (w, batch, sums, grads) => {
        const r = assembleLoss(m, w, batch.steps, batch.batch, sums[0], sums[1], grads);
        return { loss: r.loss, grads: r.grads, parts: lossParts(r) };
      },
      curvatureBatch: (batch, fraction) => sliceCuevaTrials({ ...batch, noise: null }, 0, Math.max(1, Math.round(fraction * batch.batch)), m.nInputs, m.hidden),
      curvaturePartial: (w, chunk, v, structural, whole) => cuevaGaussNewtonPartial(m, w, chunk, v, structural, k, whole),
      curvatureFinish: (v, grads) => gaussNewtonWithWeightCost(m, grads, v),
    };
  }

  init(rng: Rng): CuevaParams {
    return initParams(this.model, rng);
  }

  /** The batch with its recurrent noise (see trainingNoise), drawn into a recycled batch's noise array when there is one. */
  trainingBatch(tr: Trajectories, rng: Rng): Batch {
    const into = this.spareNoise;
    this.spareNoise = null;
    return toBatch(tr, trainingNoise(this.gpujs !== null, rng, tr.steps, tr.batch, this.model, into));
  }

  recycle(batch: Batch): void {
    if (batch.noise instanceof Float32Array) this.spareNoise = batch.noise;
  }

  lossAndGradient(w: CuevaParams, batch: Batch, whileComputing?: () => void): LossAndGradient | Promise<LossAndGradient> {
    if (this.gpujs) return this.onGpu(this.gpujs, w, batch, whileComputing);
    const r = cuevaLossAndGradient(this.model, this.kernels.kind === 'fused' ? this.kernels.kernels : 'autograd', w, batch);
    whileComputing?.();
    return r;
  }

  private async onGpu(gpujs: GpuJsCueva, w: CuevaParams, batch: Batch, whileComputing?: () => void): Promise<LossAndGradient> {
    const pending = gpujs.lossAndGrad(w, batch);
    // a failure during `whileComputing` is handled at the await below, not as unhandled
    pending.catch(() => undefined);
    if (whileComputing) {
      // let gpu.js encode and submit the step first, which it does in queued microtasks
      await new Promise((resolve) => setImmediate(resolve));
      whileComputing();
    }
    const r = await pending;
    return { loss: r.loss, grads: r.grads, parts: lossParts(r) };
  }

  /**
   * Hessian-free's view of a batch (fused kernels only: Gauss-Newton products by forward and
   * reverse mode): the gradient on the batch, curvature on its first `curvatureFraction` of trials.
   */
  curvature(batch: Batch, curvatureFraction: number): ChunkedCurvature {
    if (!this.trials) throw new Error('CuevaNetwork: Hessian-free needs the fused kernels (backend wasm or js)');
    return new ChunkedCurvature(this, localRunner, Infinity, batch, curvatureFraction);
  }

  /** Noiseless rollout on the CPU kernels (estimates from the linear readout). */
  run(w: CuevaParams, tr: Trajectories, opts: { keepRates?: boolean } = {}): Activity {
    const previous = getBackend();
    setBackend(this.cpuKernels);
    try {
      return rollout(this.model, w, tr.inputs, tr.steps, tr.batch, null, { ...opts, starts: startPositions(tr) });
    } finally {
      setBackend(previous);
    }
  }

  dispose(): void {
    this.gpujs?.destroy();
  }
}

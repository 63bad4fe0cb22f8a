/**
 * The CuevaRNN (model.ts) as a `Network`, on one of three kinds of kernels: the autograd tape (the
 * oracle), the fused BPTT on the tensor kernels (WebAssembly SIMD or TypeScript), or the gpu.js
 * kernels (a GPU through WebGPU, or gpu.js's CPU backends), which draw the noise themselves.
 */
import { getBackend, setBackend, type Backend, type Rng } from '@gridcells/tensor';
import { valueAndGrad } from '@gridcells/autograd';
import { INPUT_SIZE, positionsAfterSteps, type Encoding, type Trajectories } from '../../world/trajectory.js';
import type { Activity, LossAndGradient, Network } from '../network.js';
import { cuevaLossAndGrad } from './bptt.js';
import { CuevaCurvatureSystem, subBatch } from './curvature.js';
import { GpuJsCueva } from './gpujs.js';
import type { GpuJsMode } from '../../backends/resolve.js';
import { lossParts } from './loss-parts.js';
import { cuevaLoss, drawNoise, initParams, paramShapes, rollout, type Batch, type CuevaModelConfig, type CuevaParams } from './model.js';

/** What computes the CuevaRNN's loss and gradient. */
export type CuevaKernels =
  | { kind: 'autograd' }
  | { kind: 'fused'; kernels: Backend }
  | { kind: 'gpujs'; mode: GpuJsMode; steps: number; batch: number };

/** A batch of trajectories as the CuevaRNN's loss reads it (targets: the positions after each step, float32). */
export function toBatch(tr: Trajectories, noise: Batch['noise']): Batch {
  return { steps: tr.steps, batch: tr.batch, inputs: tr.inputs, targets: Float32Array.from(positionsAfterSteps(tr)), noise };
}

/**
 * A training step's noise from the run's data stream: the gpu.js kernels (`onDevice`) draw it on
 * the device from one 32-bit seed (counter-noise.ts); the CPU kernels read normals drawn here. The
 * two streams differ, so a run is reproducible for one seed and one backend, as every run is.
 */
export function trainingNoise(onDevice: boolean, rng: Rng, steps: number, batch: number, model: CuevaModelConfig): Batch['noise'] {
  if (model.noiseStd === 0) return null;
  if (onDevice) return { seed: rng.int(2 ** 32), std: model.noiseStd };
  return drawNoise(rng, steps, batch, model.hidden, model.noiseStd);
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
  const { value, grads } = valueAndGrad((wRec, wIn, b, wOut) => {
    parts = cuevaLoss(model, wRec, wIn, b, wOut, batch);
    return parts.total;
  }, [0, 1, 2, 3])(w.wRec, w.wIn, w.b, w.wOut);
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
  readonly signedRates = true;
  readonly startsAtCentre = true;
  readonly onDevice: boolean;
  private readonly gpujs: GpuJsCueva | null;

  /**
   * `kernels` compute the loss and gradient; `cpuKernels` (default: the fused kernels, else the
   * current tensor backend) run the network forward for evaluation and analysis.
   */
  constructor(readonly model: CuevaModelConfig, readonly kernels: CuevaKernels, readonly cpuKernels: Backend = kernels.kind === 'fused' ? kernels.kernels : getBackend()) {
    this.units = model.hidden;
    this.shapes = paramShapes(model);
    this.onDevice = kernels.kind === 'gpujs';
    this.gpujs = kernels.kind === 'gpujs'
      ? new GpuJsCueva(kernels.mode, model, { T: kernels.steps, B: kernels.batch, N: model.hidden, nIn: model.nInputs })
      : null;
  }

  init(rng: Rng): CuevaParams {
    return initParams(this.model, rng);
  }

  /** The batch with its recurrent noise (see trainingNoise). */
  trainingBatch(tr: Trajectories, rng: Rng): Batch {
    return toBatch(tr, trainingNoise(this.onDevice, rng, tr.steps, tr.batch, this.model));
  }

  lossAndGradient(w: CuevaParams, batch: Batch): LossAndGradient | Promise<LossAndGradient> {
    if (this.gpujs) return this.gpujs.lossAndGrad(w, batch).then((r) => ({ loss: r.loss, grads: r.grads, parts: lossParts(r) }));
    return cuevaLossAndGradient(this.model, this.kernels.kind === 'fused' ? this.kernels.kernels : 'autograd', w, batch);
  }

  /** Hessian-free runs on the fused kernels only (Gauss-Newton products by forward and reverse mode). */
  curvature(batch: Batch, curvatureFraction: number): CuevaCurvatureSystem {
    if (this.kernels.kind !== 'fused') throw new Error('CuevaNetwork: Hessian-free needs the fused kernels (backend wasm or js)');
    const trials = Math.max(1, Math.round(curvatureFraction * batch.batch));
    return new CuevaCurvatureSystem(this.model, batch, subBatch(batch, trials, this.model.nInputs), this.kernels.kernels);
  }

  /** Noiseless rollout on the CPU kernels (estimates from the linear readout). */
  run(w: CuevaParams, tr: Trajectories, opts: { keepRates?: boolean } = {}): Activity {
    const previous = getBackend();
    setBackend(this.cpuKernels);
    try {
      return rollout(this.model, w, tr.inputs, tr.steps, tr.batch, null, opts);
    } finally {
      setBackend(previous);
    }
  }

  dispose(): void {
    this.gpujs?.destroy();
  }
}

/**
 * The CuevaRNN training step both step benchmarks time: its config, its data, and the step on
 * gpu.js kernels (kept apart from the TF.js peer so the GPU suite loads without TF.js).
 */
import { Rng } from '@gridcells/tensor';
import { Adam } from '@gridcells/autograd';
import {
  CUEVA_DEFAULTS, GpuJsCueva, generateTrajectories, initParams, makeArena, noiseArray, paramList, toBatch, trainingNoise,
  type Batch, type CuevaModelConfig,
} from '@gridcells/navrnn';
import { median } from './table.js';

/** The paper's network (N 100, speed + direction) with the default noise and costs. */
export const STEP_CFG: CuevaModelConfig = { hidden: 100, nInputs: 2, alpha: 0.1, noiseStd: 0.05, lambdaWeights: 1e-4, lambdaRates: 1e-3, init: 'orthogonal', initGain: 1 };

/**
 * Fixed trajectories and noise (seed 7) for `batch` trials of `steps` steps in the 1 m square, the
 * noise as training draws it for the kernels in question: an array for the CPU kernels, a seed for
 * the gpu.js kernels (`onDevice`), which draw it themselves.
 */
export function cuevaData(batch: number, steps: number, onDevice = false, cfg: CuevaModelConfig = STEP_CFG): Batch {
  const rng = new Rng(7);
  const tr = generateTrajectories(makeArena({ kind: 'square', side: 1 }), CUEVA_DEFAULTS, batch, steps, 'speed-direction', rng);
  return toBatch(tr, trainingNoise(onDevice, rng, steps, batch, cfg));
}

/** The same batch with its counter noise written out as an array (what the CPU kernels read). */
export function withNoiseArray(data: Batch, cfg: CuevaModelConfig = STEP_CFG): Batch {
  return { ...data, noise: noiseArray(data, cfg.hidden) };
}

/**
 * Median time of a training step (loss, gradient, Adam) on gpu.js kernels, over `reps` calls after
 * a first one that traces and compiles the pipeline plan (not counted).
 */
export async function timeGpuJsStep(mode: 'webgpu' | 'webasm' | 'cpu', cfg: CuevaModelConfig, data: Batch, reps: number): Promise<number> {
  const kernels = new GpuJsCueva(mode, cfg, { T: data.steps, B: data.batch, N: cfg.hidden, nIn: cfg.nInputs });
  const p = initParams(cfg, new Rng(1));
  const list = paramList(p);
  const adam = new Adam({ lr: 1e-3 });
  const times: number[] = [];
  try {
    for (let i = 0; i <= reps; i++) {
      const t0 = performance.now();
      const r = await kernels.lossAndGrad(p, data);
      adam.step(list, r.grads);
      if (i > 0) times.push(performance.now() - t0);
    }
  } finally {
    kernels.destroy();
  }
  return median(times);
}

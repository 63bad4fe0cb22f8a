/** One CuevaRNN training step on gpu.js kernels, timed (kept apart from the TF.js peer so the GPU suite loads without TF.js). */
import { Rng } from '@gridcells/tensor';
import { Adam } from '@gridcells/autograd';
import { GpuJsCueva, initParams, paramList, type Batch, type CuevaModelConfig } from '@gridcells/navrnn';
import { median } from './table.js';

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

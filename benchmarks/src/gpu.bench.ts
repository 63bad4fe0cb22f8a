/**
 * The webgpu path (gpu.js kernels through Dawn): matmul GFLOP/s by size and one training step of
 * the CuevaRNN (N 100, T 500, batch 64 and 500), beside the wasm CPU path in the same run.
 * On a machine whose only adapter is a software rasterizer (lavapipe) it measures small sizes only
 * and says so: those numbers are correctness-path timings, not GPU speed.
 */
import { GPU } from 'gpu.js';
import { Rng, normal } from '@gridcells/tensor';
import { Adam } from '@gridcells/autograd';
import {
  CUEVA_DEFAULTS, describeWebGpu, drawNoise, generateTrajectories, gpujsMatmul, initParams, lossAndGradientSync,
  makeArena, paramList, releaseWebGpu, toBatch, type CuevaModelConfig,
} from '@gridcells/navrnn';
import { median, type Row } from './table.js';
import { timeGpuJsStep } from './step.bench.js';

export async function benchGpu(): Promise<Row[]> {
  const d = await describeWebGpu();
  const rows: Row[] = [];
  if (!d.available) {
    return [{ case: 'webgpu', backend: 'webgpu', hidden: null, batch: null, steps: null, median_ms: null, gflops: null, note: 'not measured: no WebGPU adapter on this machine' }];
  }
  const label = d.software ? `webgpu (software: ${d.description.split(' ').slice(0, 3).join(' ')})` : `webgpu (${d.description})`;
  const gpu = new GPU({ mode: 'webgpu' });
  for (const n of d.software ? [64, 128, 256] : [64, 128, 256, 512, 1024, 2048]) {
    const rng = new Rng(n);
    const a = normal(rng, [n * n]).data as Float32Array;
    const b = normal(rng, [n * n]).data as Float32Array;
    const rowsOf = (x: Float32Array) => Array.from({ length: n }, (_, i) => x.subarray(i * n, (i + 1) * n));
    const kernel = gpujsMatmul(gpu, n, n, n);
    const [A, B] = [rowsOf(a), rowsOf(b)];
    await kernel(A, B);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await kernel(A, B);
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    rows.push({ case: `matmul ${n}`, backend: label, hidden: null, batch: null, steps: null, median_ms: ms, gflops: (2 * n ** 3) / ms / 1e6, note: 'gpu.js kernel, includes upload and readback' });
  }
  gpu.destroy();
  const cfg: CuevaModelConfig = { hidden: 100, nInputs: 2, alpha: 0.1, noiseStd: 0.05, lambdaWeights: 1e-4, lambdaRates: 1e-3, init: 'orthogonal', initGain: 1 };
  for (const B of d.software ? [8] : [64, 500]) {
    const T = d.software ? 50 : 500;
    const rng = new Rng(7);
    const tr = generateTrajectories(makeArena({ kind: 'square', side: 1 }), CUEVA_DEFAULTS, B, T, 'speed-direction', rng);
    const data = toBatch(tr, drawNoise(rng, T, B, cfg.hidden, cfg.noiseStd));
    const ms = await timeGpuJsStep('webgpu', cfg, data, 3);
    rows.push({ case: 'cueva training step', backend: label, hidden: 100, batch: B, steps: T, median_ms: ms, gflops: null, note: 'gpu.js pipeline plan (first call traces; excluded)' });
    const p = initParams(cfg, new Rng(1));
    const list = paramList(p);
    const adam = new Adam({ lr: 1e-3 });
    const cpu: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = lossAndGradientSync('wasm', cfg, p, data);
      adam.step(list, r.grads);
      cpu.push(performance.now() - t0);
    }
    rows.push({ case: 'cueva training step', backend: 'wasm', hidden: 100, batch: B, steps: T, median_ms: median(cpu), gflops: null, note: 'CPU path, same run' });
  }
  await releaseWebGpu();
  return rows;
}

/**
 * The webgpu path (gpu.js kernels through Dawn): matmul GFLOP/s by size and one training step of
 * the CuevaRNN (N 100, T 500, batch 64 and 500), beside the wasm CPU path in the same run.
 * Before timing, the webgpu gradient is checked against the wasm one on the same data (the
 * `max_rel_err` column), so a figure is never reported for kernels that compute something else.
 * A row at T 50 beside T 500 separates the per-time-step cost (dispatches) from the fixed cost
 * (upload, readback, Adam).
 * On a machine whose only adapter is a software rasterizer (lavapipe) it measures small sizes only
 * and says so: those numbers are correctness-path timings, not GPU speed.
 */
import { GPU } from 'gpu.js';
import { Rng, normal } from '@gridcells/tensor';
import { Adam } from '@gridcells/autograd';
import {
  GpuJsCueva, describeWebGpu, gpujsMatmul, initParams, cuevaLossAndGradient, tensorKernels, paramList, releaseWebGpu, type Batch,
} from '@gridcells/navrnn';
import { median, type Row } from './table.js';
import { STEP_CFG, cuevaData, timeGpuJsStep, withNoiseArray } from './gpujs-step.js';

/** Largest |webgpu - wasm| / max|wasm| over all gradient entries, and the loss's relative difference. */
async function gradientError(data: Batch): Promise<number> {
  const p = initParams(STEP_CFG, new Rng(3));
  // a trained-looking readout (W_out = 0 at init would leave half the gradient identically zero)
  const wOut = p.wOut.data as Float32Array;
  const rng = new Rng(4);
  for (let i = 0; i < wOut.length; i++) wOut[i] = 0.1 * (rng.uniform() - 0.5);
  const ref = cuevaLossAndGradient(STEP_CFG, tensorKernels('wasm'), p, withNoiseArray(data));
  const k = new GpuJsCueva('webgpu', STEP_CFG, { T: data.steps, B: data.batch, N: STEP_CFG.hidden, nIn: STEP_CFG.nInputs });
  try {
    const got = await k.lossAndGrad(p, data);
    let worst = Math.abs(got.loss - ref.loss) / Math.abs(ref.loss);
    got.grads.forEach((g, i) => {
      const r = ref.grads[i].data as Float32Array;
      const d = g.data as Float32Array;
      let scale = 0;
      for (const v of r) scale = Math.max(scale, Math.abs(v));
      for (let j = 0; j < r.length; j++) worst = Math.max(worst, Math.abs(d[j] - r[j]) / scale);
    });
    return worst;
  } finally {
    k.destroy();
  }
}

/**
 * The floor under a step's dispatches: `count` dependent dispatches (each reads the previous one's
 * output) of a kernel that only adds 1 to a buffer the size of the forward kernel's at batch 500
 * ([510 x 100]), in one pipeline plan like the BPTT's (one command encoder, one readback).
 */
async function dispatchFloor(label: string, count: number): Promise<Row> {
  const gpu = new GPU({ mode: 'webgpu' });
  try {
    const touch = gpu.createKernel(function (this: any, prev: any) {
      return prev[this.thread.y][this.thread.x] + 1;
    } as never, { output: [100, 510], tactic: 'precision' } as never) as unknown as (x: unknown) => unknown;
    const plan = gpu.createPipeline(function (this: any, start: any) {
      let x = start;
      for (let i = 0; i < this.constants.count; i++) x = touch(x);
      return x;
    } as never, { constants: { count } } as never) as unknown as (x: unknown) => Promise<ArrayLike<number>[]>;
    const start = Array.from({ length: 510 }, () => new Float32Array(100));
    const first = await plan(start);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await plan(start);
      times.push(performance.now() - t0);
    }
    return { case: 'dispatch floor', backend: label, hidden: 100, batch: 510, steps: count, median_ms: median(times), gflops: null, max_rel_err: Math.abs(first[509][99] - count) / count, note: `${count} dependent dispatches of a kernel that adds 1 ([510 x 100]), one plan; a step's ${count} dispatches cost at least this` };
  } finally {
    gpu.destroy();
  }
}

export async function benchGpu(): Promise<Row[]> {
  const d = await describeWebGpu();
  const rows: Row[] = [];
  if (!d.available) {
    return [{ case: 'webgpu', backend: 'webgpu', hidden: null, batch: null, steps: null, median_ms: null, gflops: null, max_rel_err: null, note: 'not measured: no WebGPU adapter on this machine' }];
  }
  const label = d.software ? `webgpu (software: ${d.description.split(' ').slice(0, 3).join(' ')})` : `webgpu (${d.description})`;
  console.log(`adapter: ${d.description}${d.software ? ' (software)' : ''}`);
  const gpu = new GPU({ mode: 'webgpu' });
  for (const n of d.software ? [64, 128, 256] : [64, 128, 256, 512, 1024, 2048]) {
    const rng = new Rng(n);
    const a = normal(rng, [n * n]).data as Float32Array;
    const b = normal(rng, [n * n]).data as Float32Array;
    const rowsOf = (x: Float32Array) => Array.from({ length: n }, (_, i) => x.subarray(i * n, (i + 1) * n));
    const kernel = gpujsMatmul(gpu, n, n, n);
    const [A, B] = [rowsOf(a), rowsOf(b)];
    const first = (await kernel(A, B)) as ArrayLike<number>[];
    // one row checked against a float64 dot product (a full check is the test suite's job)
    let err = 0;
    let scale = 0;
    const r = n >> 1;
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let q = 0; q < n; q++) s += a[r * n + q] * b[q * n + c];
      err = Math.max(err, Math.abs(first[r][c] - s));
      scale = Math.max(scale, Math.abs(s));
    }
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await kernel(A, B);
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    rows.push({ case: `matmul ${n}`, backend: label, hidden: null, batch: null, steps: null, median_ms: ms, gflops: (2 * n ** 3) / ms / 1e6, max_rel_err: err / scale, note: 'gpu.js kernel, includes upload and readback' });
  }
  gpu.destroy();
  rows.push(await dispatchFloor(label, d.software ? 2 * 50 + 2 : 2 * 500 + 2));
  const cases: [number, number][] = d.software ? [[8, 50]] : [[64, 500], [500, 50], [500, 500]];
  for (const [B, T] of cases) {
    const data = cuevaData(B, T, true);
    const err = await gradientError(data);
    const ms = await timeGpuJsStep('webgpu', STEP_CFG, data, d.software ? 2 : 5);
    rows.push({ case: 'cueva training step', backend: label, hidden: 100, batch: B, steps: T, median_ms: ms, gflops: null, max_rel_err: err, note: 'gpu.js pipeline plan, 2 kernels a time step, noise drawn on the device (first call traces; excluded); error vs wasm' });
    const cpuData = cuevaData(B, T);
    const p = initParams(STEP_CFG, new Rng(1));
    const list = paramList(p);
    const adam = new Adam({ lr: 1e-3 });
    const cpu: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = cuevaLossAndGradient(STEP_CFG, tensorKernels('wasm'), p, cpuData);
      adam.step(list, r.grads);
      cpu.push(performance.now() - t0);
    }
    rows.push({ case: 'cueva training step', backend: 'wasm', hidden: 100, batch: B, steps: T, median_ms: median(cpu), gflops: null, max_rel_err: null, note: 'CPU path (one thread), same run' });
  }
  await releaseWebGpu();
  return rows;
}

/**
 * Speed of the hot paths, side by side with TensorFlow.js in the same run:
 * (a) matmul GFLOP/s by size, per backend, beside TF.js's wasm backend (XNNPACK);
 * (b) one full training step (forward, BPTT, Adam) of the CuevaRNN at N 100, T 500, batch 64 and
 *     500, per backend, beside the same step written in TF.js (wasm), all on the same
 *     pre-generated trajectories and noise. Medians over repeated runs.
 */
import * as tf from '@tensorflow/tfjs';
import { GPU } from 'gpu.js';
import '@tensorflow/tfjs-backend-wasm';
import { Rng, WasmBackend, normal, referenceBackend, type Backend } from '@gridcells/tensor';
import { Adam } from '@gridcells/autograd';
import {
  gpujsMatmul, initParams, cuevaLossAndGradient, tensorKernels, noiseArray, paramList,
  type Batch, type CuevaModelConfig,
} from '@gridcells/navrnn';
import { median, type Row } from './table.js';
import { STEP_CFG, cuevaData, timeGpuJsStep } from './gpujs-step.js';

function time(reps: number, f: () => void): number[] {
  f(); // warm-up (JIT, first allocation)
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
  }
  return out;
}

export async function benchMatmul(sizes = [64, 128, 256, 512, 1024, 2048]): Promise<Row[]> {
  await tf.setBackend('wasm');
  await tf.ready();
  const wasm = WasmBackend.create()!;
  const rows: Row[] = [];
  for (const n of sizes) {
    const rng = new Rng(n);
    const a = normal(rng, [n * n]).data as Float32Array;
    const b = normal(rng, [n * n]).data as Float32Array;
    const out = new Float32Array(n * n);
    const flops = 2 * n * n * n;
    const reps = Math.max(3, Math.min(30, Math.round(2e9 / flops)));
    const backends: [string, Backend][] = [['wasm', wasm], ['js', referenceBackend]];
    for (const [name, be] of backends) {
      if (name === 'js' && n > 1024) {
        rows.push({ case: `matmul ${n}`, backend: name, hidden: null, batch: null, steps: null, median_ms: null, gflops: null, note: 'skipped (too slow)' });
        continue;
      }
      const ms = median(time(name === 'js' ? Math.min(reps, 3) : reps, () => be.matmul(a, b, out, 1, n, n, n, 0, 0)));
      rows.push({ case: `matmul ${n}`, backend: name, hidden: null, batch: null, steps: null, median_ms: ms, gflops: flops / ms / 1e6, note: '' });
    }
    // gpu.js kernels (a dot per output) on its CPU backends; arguments as rows, as gpu.js takes them
    for (const mode of ['webasm', 'cpu'] as const) {
      if (mode === 'cpu' && n > 1024) continue;
      const gpu = new GPU({ mode });
      const kernel = gpujsMatmul(gpu, n, n, n);
      const A = Array.from({ length: n }, (_, i) => a.subarray(i * n, (i + 1) * n));
      const Bm = Array.from({ length: n }, (_, i) => b.subarray(i * n, (i + 1) * n));
      const ms = median(time(mode === 'cpu' ? Math.min(reps, 3) : reps, () => kernel(A, Bm)));
      gpu.destroy();
      rows.push({ case: `matmul ${n}`, backend: `gpujs-${mode}`, hidden: null, batch: null, steps: null, median_ms: ms, gflops: flops / ms / 1e6, note: 'gpu.js kernel' });
    }
    const ta = tf.tensor2d(a, [n, n]);
    const tb = tf.tensor2d(b, [n, n]);
    const ms = median(time(reps, () => tf.tidy(() => tf.matMul(ta, tb).dataSync())));
    tf.dispose([ta, tb]);
    rows.push({ case: `matmul ${n}`, backend: 'tfjs-wasm', hidden: null, batch: null, steps: null, median_ms: ms, gflops: flops / ms / 1e6, note: 'peer, includes readback' });
  }
  // the weight gradients' A^T B (A: k x m, B: k x n) at the networks' sizes: a CuevaRNN chunk's
  // step (8 rows), its one-pass step at batch 500, and the PlaceCellRNN chunk's 2000-row sums
  for (const [m, k, n] of [[100, 8, 100], [100, 500, 100], [256, 2000, 256]]) {
    const rng = new Rng(k);
    const a = normal(rng, [k * m]).data as Float32Array;
    const b = normal(rng, [k * n]).data as Float32Array;
    const flops = 2 * m * k * n;
    const reps = Math.max(5, Math.min(200, Math.round(2e9 / flops)));
    const label = `A^T B ${m} x ${k} x ${n}`;
    // in the workspace, as the fused BPTTs call it (no copies)
    const ws = wasm.workspace(k * m + k * n + m * n);
    ws.set(a);
    ws.set(b, k * m);
    const [wa, wb, wout] = [ws.subarray(0, k * m), ws.subarray(k * m, k * (m + n)), ws.subarray(k * (m + n))];
    const ms = median(time(reps, () => wasm.matmulTransA(wa, wb, wout, m, k, n)));
    rows.push({ case: label, backend: 'wasm', hidden: null, batch: null, steps: null, median_ms: ms, gflops: flops / ms / 1e6, note: k >= 256 && m % 4 === 0 && n % 8 === 0 ? 'operands packed into panels (at least 256 rows, m and n multiples of 4 and 8)' : '' });
    const ta = tf.tensor2d(a, [k, m]);
    const tb = tf.tensor2d(b, [k, n]);
    const tms = median(time(reps, () => tf.tidy(() => tf.matMul(ta, tb, true, false).dataSync())));
    tf.dispose([ta, tb]);
    rows.push({ case: label, backend: 'tfjs-wasm', hidden: null, batch: null, steps: null, median_ms: tms, gflops: flops / tms / 1e6, note: 'peer, includes readback' });
  }
  return rows;
}

/** The same training step in TensorFlow.js: the loss through its tape, then its Adam. */
function tfjsStep(cfg: CuevaModelConfig, data: Batch) {
  const { steps: T, batch: B } = data;
  const N = cfg.hidden;
  const p = initParams(cfg, new Rng(1));
  const W = tf.variable(tf.tensor2d(p.wRec.data as Float32Array, [N, N]));
  const Win = tf.variable(tf.tensor2d(p.wIn.data as Float32Array, [cfg.nInputs, N]));
  const b = tf.variable(tf.tensor1d(p.b.data as Float32Array));
  const Wout = tf.variable(tf.tensor2d(p.wOut.data as Float32Array, [N, 2]));
  const inputs = tf.unstack(tf.tensor3d(data.inputs, [T, B, cfg.nInputs]));
  const targets = tf.unstack(tf.tensor3d(data.targets, [T, B, 2]));
  const noise = tf.unstack(tf.tensor3d(noiseArray(data, N)!, [T, B, N]));
  const opt = tf.train.adam(1e-3);
  const loss = () => {
    let x: tf.Tensor = tf.zeros([B, N]);
    let se: tf.Tensor = tf.scalar(0);
    let sr: tf.Tensor = tf.scalar(0);
    for (let t = 0; t < T; t++) {
      const pre = tf.add(tf.add(tf.add(tf.matMul(tf.tanh(x) as tf.Tensor2D, W), tf.matMul(inputs[t] as tf.Tensor2D, Win)), b), noise[t]);
      x = tf.add(tf.mul(x, 1 - cfg.alpha), tf.mul(pre, cfg.alpha));
      const u = tf.tanh(x);
      se = tf.add(se, tf.sum(tf.square(tf.sub(tf.matMul(u as tf.Tensor2D, Wout), targets[t]))));
      sr = tf.add(sr, tf.sum(tf.square(u)));
    }
    const weights = tf.mul(cfg.lambdaWeights, tf.add(tf.mean(tf.square(Win)), tf.mean(tf.square(Wout))));
    return tf.add(tf.add(tf.div(se, T * B * 2), tf.mul(cfg.lambdaRates / (T * B * N), sr)), weights) as tf.Scalar;
  };
  return {
    step: () => tf.tidy(() => opt.minimize(loss, true)!.dataSync()),
    dispose: () => tf.dispose([W, Win, b, Wout, ...inputs, ...targets, ...noise]),
  };
}

export async function benchTrainingStep(batches = [64, 500]): Promise<Row[]> {
  await tf.setBackend('wasm');
  await tf.ready();
  const rows: Row[] = [];
  for (const B of batches) {
    const T = 500;
    const N = 100;
    const cfg = STEP_CFG;
    const data = cuevaData(B, T);
    const reps = B > 100 ? 3 : 7;
    const ours = (backend: 'wasm' | 'js' | 'autograd') => {
      const p = initParams(cfg, new Rng(1));
      const list = paramList(p);
      const adam = new Adam({ lr: 1e-3 });
      return () => {
        const r = cuevaLossAndGradient(cfg, backend === 'autograd' ? 'autograd' : tensorKernels(backend), p, data);
        adam.step(list, r.grads);
      };
    };
    for (const backend of ['wasm', 'js', 'autograd'] as const) {
      if (backend === 'autograd' && B > 64) continue;
      const ms = median(time(backend === 'wasm' ? reps : 2, ours(backend)));
      rows.push({ case: 'cueva training step', backend, hidden: N, batch: B, steps: T, median_ms: ms, gflops: null, note: backend === 'wasm' ? 'fused BPTT, WebAssembly SIMD' : backend === 'js' ? 'fused BPTT, TypeScript kernels' : 'autograd tape (oracle)' });
    }
    // the same BPTT as gpu.js kernels in one pipeline plan, on gpu.js's CPU backends
    for (const mode of ['webasm', 'cpu'] as const) {
      if (B > 64) continue;
      const ms = await timeGpuJsStep(mode, cfg, cuevaData(B, T, true), 2);
      rows.push({ case: 'cueva training step', backend: `gpujs-${mode}`, hidden: N, batch: B, steps: T, median_ms: ms, gflops: null, note: 'gpu.js kernels, one pipeline plan' });
    }
    const peer = tfjsStep(cfg, data);
    const ms = median(time(B > 100 ? 2 : 3, peer.step));
    peer.dispose();
    rows.push({ case: 'cueva training step', backend: 'tfjs-wasm', hidden: N, batch: B, steps: T, median_ms: ms, gflops: null, note: 'peer: the same step in TensorFlow.js 4.22 (wasm)' });
  }
  // a reference point for the data side of a step (not in the timings above)
  const ms = median(time(3, () => cuevaData(64, 500)));
  rows.push({ case: 'trajectories + noise', backend: 'js', hidden: 100, batch: 64, steps: 500, median_ms: ms, gflops: null, note: 'generated once per training step' });
  return rows;
}

/**
 * The CuevaRNN's loss and gradient as gpu.js kernels: one kernel source for gpu.js's backends
 * (`webgpu`: WGSL compute shaders through Dawn in Node or a browser's WebGPU; `webasm`:
 * WebAssembly SIMD; `cpu`: JavaScript). The whole BPTT (T forward steps, T backward steps and the
 * gradient sums) is one `gpu.createPipeline` plan: it is traced once, intermediates stay in device
 * memory (one command encoder on webgpu, one WebAssembly.Memory on webasm) and only the gradients
 * and two loss sums are read back.
 *
 * Per step (B trials x N units; thread.y = trial r, thread.x = unit j):
 *   forward:  x_t = (1-a) x_{t-1} + a (u_{t-1} W + I_t W_in + b + xi_t);  u_t = tanh(x_t);
 *             e_t = u_t W_out - p_t;  sums of e^2 and u^2 per trial
 *   backward: dx_t = (e_t W_out^T / (T B) + 2 lr u_t / (T B N) + a dx_{t+1} W^T) (1 - u_t^2) + (1-a) dx_{t+1}
 *             dW += a u_{t-1}^T dx_t;  dW_in += a I_t^T dx_t;  db += a sum_r dx_t;  dW_out += u_t^T e_t / (T B)
 * The same maths as bptt.ts (the TypeScript fast path), which the tests compare it against.
 */
import { GPU } from 'gpu.js';
import type { Batch, CuevaModelConfig, CuevaParams } from './model.js';
import { assembleLoss, type FusedResult } from './bptt.js';

export type GpuJsMode = 'webgpu' | 'webasm' | 'cpu';

type Kernel = (...args: unknown[]) => unknown;

/**
 * Makes `navigator.gpu` available in Node through the `webgpu` package (Dawn), so gpu.js's webgpu
 * backend can find an adapter. Resolves whether an adapter answered.
 */
export async function enableWebGpu(): Promise<boolean> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    try {
      const { createRequire } = await import('node:module');
      const require = createRequire(import.meta.url);
      const webgpu = require('webgpu') as { create: (flags: string[]) => unknown; globals: object };
      Object.assign(globalThis, webgpu.globals);
      const gpu = webgpu.create([]);
      if (g.navigator) (g.navigator as { gpu?: unknown }).gpu = gpu;
      else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    } catch {
      return false;
    }
  }
  return (GPU as unknown as { isWebGPUAvailable(): Promise<boolean> }).isWebGPUAvailable();
}

/**
 * Destroys gpu.js's shared WebGPU device. Call it before a process that used webgpu exits: Dawn
 * can abort at exit while a device is still alive.
 */
export async function releaseWebGpu(): Promise<void> {
  const { WebGPUContext } = (await import('gpu.js')) as unknown as { WebGPUContext?: { destroy(): Promise<void> } };
  await WebGPUContext?.destroy();
}

/** What WebGPU adapter answers here, if any, and whether it is a software rasterizer (CPU). */
export async function describeWebGpu(): Promise<{ available: boolean; software: boolean; description: string }> {
  if (!(await enableWebGpu())) return { available: false, software: false, description: 'no WebGPU adapter' };
  const nav = (globalThis as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }).navigator;
  const adapter = (await nav.gpu.requestAdapter()) as { info?: { vendor?: string; architecture?: string; description?: string; device?: string }; isFallbackAdapter?: boolean } | null;
  const info = adapter?.info ?? {};
  const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  const software = Boolean(adapter?.isFallbackAdapter) || /llvmpipe|lavapipe|swiftshader|software/i.test(description);
  return { available: Boolean(adapter), software, description };
}

/**
 * `describeWebGpu` in a child process whose output is discarded: Dawn prints warnings when it
 * opens an adapter, and 'auto' should not print them in every command that merely checks.
 */
export function probeWebGpuQuietly(): Promise<{ available: boolean; software: boolean; description: string }> {
  // the adapter does not change while the process runs: probe once
  probe ??= probeOnce();
  return probe;
}

let probe: Promise<{ available: boolean; software: boolean; description: string }> | undefined;

async function probeOnce(): Promise<{ available: boolean; software: boolean; description: string }> {
  const { createRequire } = await import('node:module');
  const { spawnSync } = await import('node:child_process');
  let webgpuPath: string;
  try {
    webgpuPath = createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return { available: false, software: false, description: 'the webgpu package is not installed' };
  }
  const script = `
    const { create, globals } = require(${JSON.stringify(webgpuPath)});
    Object.assign(globalThis, globals);
    create([]).requestAdapter().then((a) => {
      const i = (a && a.info) || {};
      const d = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unknown adapter';
      process.stdout.write('\\nPROBE' + JSON.stringify({ available: !!a, software: !!(a && a.isFallbackAdapter) || /llvmpipe|lavapipe|swiftshader|software/i.test(d), description: a ? d : 'no WebGPU adapter' }) + '\\n');
      process.exit(0);
    }, () => { process.stdout.write('\\nPROBE' + JSON.stringify({ available: false, software: false, description: 'no WebGPU adapter' }) + '\\n'); process.exit(0); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000, env: { XDG_RUNTIME_DIR: '/tmp', ...process.env } });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('PROBE'));
  return line ? JSON.parse(line.slice(5)) : { available: false, software: false, description: 'the WebGPU probe failed' };
}

/**
 * A matrix-product kernel in gpu.js: out[r][c] = sum_k a[r][k] b[k][c]. gpu.js gives one output
 * per thread and no workgroup memory, so this is a plain dot per output (its k loop unrolled by
 * four); the register-blocked CPU kernel is the WebAssembly one (tensor/src/wasm/sgemm.wat).
 */
export function gpujsMatmul(gpu: GPU, m: number, k: number, n: number): (a: unknown, b: unknown) => unknown {
  return gpu.createKernel(function (this: any, a: any, b: any) {
    const r = this.thread.y;
    const c = this.thread.x;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let q = 0; q < this.constants.K4; q += 4) {
      s0 += a[r][q] * b[q][c];
      s1 += a[r][q + 1] * b[q + 1][c];
      s2 += a[r][q + 2] * b[q + 2][c];
      s3 += a[r][q + 3] * b[q + 3][c];
    }
    // the k mod 4 leftover terms (integer loop bounds: WGSL only increments integers)
    for (let i = 0; i < this.constants.R; i++) s0 += a[r][this.constants.K4 + i] * b[this.constants.K4 + i][c];
    return s0 + s1 + s2 + s3;
  } as never, { output: [n, m], constants: { K4: k - (k % 4), R: k % 4 }, tactic: 'precision' } as never) as never;
}

interface Shape {
  T: number;
  B: number;
  N: number;
  nIn: number;
}

/** The kernels and the traced plan for one (T, B, N, nIn) and model config. */
export class GpuJsCueva {
  readonly mode: GpuJsMode;
  private readonly gpu: GPU;
  private readonly run: (...args: unknown[]) => Promise<Record<string, unknown>>;

  constructor(mode: GpuJsMode, readonly cfg: CuevaModelConfig, readonly shape: Shape) {
    this.mode = mode;
    this.gpu = new GPU({ mode });
    const { T, B, N, nIn } = shape;
    const a = cfg.alpha;
    const constants = { T, B, N, nIn, a, invTB: 1 / (T * B), rate: (2 * cfg.lambdaRates) / (T * B * N) };
    const k = (fn: Function, output: number[]) =>
      this.gpu.createKernel(fn as never, { output, constants, tactic: 'precision' } as never) as unknown as Kernel;

    // x_t from x_{t-1}, u_{t-1}: the recurrent and input drive, bias, noise and the leak
    const stepX = k(function (this: any, x: any, u: any, W: any, Win: any, bias: any, inputs: any, noise: any, t: number) {
      const r = this.thread.y;
      const j = this.thread.x;
      let s = bias[j] + noise[(t * this.constants.B + r) * this.constants.N + j];
      for (let q = 0; q < this.constants.nIn; q++) s += inputs[(t * this.constants.B + r) * this.constants.nIn + q] * Win[q][j];
      for (let i = 0; i < this.constants.N; i++) s += u[r][i] * W[i][j];
      return (1 - this.constants.a) * x[r][j] + this.constants.a * s;
    }, [N, B]);
    const tanhK = k(function (this: any, x: any) {
      return Math.tanh(x[this.thread.y][this.thread.x]);
    }, [N, B]);
    // readout error e_t = u_t W_out - p_t
    const errorK = k(function (this: any, u: any, Wout: any, targets: any, t: number) {
      const r = this.thread.y;
      const c = this.thread.x;
      let y = 0;
      for (let i = 0; i < this.constants.N; i++) y += u[r][i] * Wout[i][c];
      return y - targets[(t * this.constants.B + r) * 2 + c];
    }, [2, B]);
    // per-trial running sums: row 0 sum of e^2, row 1 sum of u^2
    const sumsK = k(function (this: any, acc: any, e: any, u: any) {
      const r = this.thread.x;
      if (this.thread.y === 0) return acc[0][r] + e[r][0] * e[r][0] + e[r][1] * e[r][1];
      let s = 0;
      for (let i = 0; i < this.constants.N; i++) s += u[r][i] * u[r][i];
      return acc[1][r] + s;
    }, [B, 2]);
    // dx_t from dx_{t+1}
    const backK = k(function (this: any, dxNext: any, u: any, W: any, Wout: any, e: any) {
      const r = this.thread.y;
      const j = this.thread.x;
      let rec = 0;
      for (let i = 0; i < this.constants.N; i++) rec += dxNext[r][i] * W[j][i];
      const uj = u[r][j];
      const du = (e[r][0] * Wout[j][0] + e[r][1] * Wout[j][1]) * this.constants.invTB + this.constants.rate * uj + this.constants.a * rec;
      return du * (1 - uj * uj) + (1 - this.constants.a) * dxNext[r][j];
    }, [N, B]);
    // dW += a u_{t-1}^T dx_t
    const gradWK = k(function (this: any, acc: any, uPrev: any, dx: any) {
      const i = this.thread.y;
      const j = this.thread.x;
      let s = 0;
      for (let r = 0; r < this.constants.B; r++) s += uPrev[r][i] * dx[r][j];
      return acc[i][j] + this.constants.a * s;
    }, [N, N]);
    // rows 0..nIn-1: dW_in; row nIn: db; rows nIn+1, nIn+2: dW_out^T
    const gradSmallK = k(function (this: any, acc: any, inputs: any, u: any, dx: any, e: any, t: number) {
      const row = this.thread.y;
      const j = this.thread.x;
      let s = 0;
      if (row < this.constants.nIn) {
        for (let r = 0; r < this.constants.B; r++) s += inputs[(t * this.constants.B + r) * this.constants.nIn + row] * dx[r][j];
        return acc[row][j] + this.constants.a * s;
      }
      if (row === this.constants.nIn) {
        for (let r = 0; r < this.constants.B; r++) s += dx[r][j];
        return acc[row][j] + this.constants.a * s;
      }
      const c = row - this.constants.nIn - 1;
      for (let r = 0; r < this.constants.B; r++) s += u[r][j] * e[r][c];
      return acc[row][j] + s * this.constants.invTB;
    }, [N, nIn + 3]);
    const zerosK = (out: number[]) => k(function () {
      return 0;
    }, out);
    const zBN = zerosK([N, B]);
    const zNN = zerosK([N, N]);
    const zSmall = zerosK([N, nIn + 3]);
    const z2B = zerosK([B, 2]);

    this.run = this.gpu.createPipeline(function (this: any, W: any, Win: any, bias: any, Wout: any, inputs: any, noise: any, targets: any) {
      const steps = this.constants.T;
      let x = zBN();
      const us = [zBN()];
      const es = [];
      let sums = z2B();
      for (let t = 0; t < steps; t++) {
        x = stepX(x, us[t], W, Win, bias, inputs, noise, t);
        us.push(tanhK(x));
        es.push(errorK(us[t + 1], Wout, targets, t));
        sums = sumsK(sums, es[t], us[t + 1]);
      }
      let dx = zBN();
      let gW = zNN();
      let gSmall = zSmall();
      for (let t = steps; t >= 1; t--) {
        dx = backK(dx, us[t], W, Wout, es[t - 1]);
        gW = gradWK(gW, us[t - 1], dx);
        gSmall = gradSmallK(gSmall, inputs, us[t], dx, es[t - 1], t - 1);
      }
      return { gW, gSmall, sums };
    }, { constants: { T } } as never) as never;
  }

  async lossAndGrad(p: CuevaParams, data: Batch): Promise<FusedResult> {
    const { T, B, N, nIn } = this.shape;
    if (data.steps !== T || data.batch !== B) throw new Error(`gpu.js BPTT: built for T ${T}, B ${B}; got T ${data.steps}, B ${data.batch}`);
    const rows = (d: ArrayLike<number>, r: number, c: number) => Array.from({ length: r }, (_, i) => Float32Array.from({ length: c }, (_, j) => d[i * c + j]));
    const noise = data.noise ?? new Float32Array(T * B * N);
    const out = await this.run(rows(p.wRec.data, N, N), rows(p.wIn.data, nIn, N), Float32Array.from(p.b.data), rows(p.wOut.data, N, 2), data.inputs, noise, data.targets);
    const gW = flat(out.gW, N * N);
    const gSmall = flat(out.gSmall, (nIn + 3) * N);
    const sums = flat(out.sums, 2 * B);
    let se = 0;
    let sr = 0;
    for (let r = 0; r < B; r++) {
      se += sums[r];
      sr += sums[B + r];
    }
    const gWin = gSmall.slice(0, nIn * N);
    const gb = gSmall.slice(nIn * N, (nIn + 1) * N);
    const gWout = new Float32Array(N * 2);
    for (let j = 0; j < N; j++) {
      gWout[j * 2] = gSmall[(nIn + 1) * N + j];
      gWout[j * 2 + 1] = gSmall[(nIn + 2) * N + j];
    }
    return assembleLoss(this.cfg, p, T, B, se, sr, [gW, gWin, gb, gWout]);
  }

  destroy(): void {
    this.gpu.destroy();
  }
}

/** A gpu.js result (an array of rows, or a typed array) as one flat Float32Array. */
function flat(x: unknown, n: number): Float32Array {
  const out = new Float32Array(n);
  if (ArrayBuffer.isView(x)) {
    out.set(x as Float32Array);
    return out;
  }
  let at = 0;
  for (const row of x as ArrayLike<number>[]) {
    out.set(row, at);
    at += row.length;
  }
  return out;
}

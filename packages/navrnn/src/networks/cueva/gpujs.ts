/**
 * The CuevaRNN's loss and gradient as gpu.js kernels: one kernel source for gpu.js's backends
 * (`webgpu`: WGSL compute shaders through Dawn in Node or a browser's WebGPU; `webasm`:
 * WebAssembly SIMD; `cpu`: JavaScript). The whole BPTT (T forward steps, T backward steps and the
 * gradient sums) is one `gpu.createPipeline` plan: it is traced once, intermediates stay in device
 * memory (one command encoder on webgpu, one WebAssembly.Memory on webasm) and only the gradients
 * and two loss sums are read back.
 *
 * Per step (B trials x N units; thread.y = trial r, thread.x = unit j; two kernels, see GpuJsCueva):
 *   forward:  x_t = (1-a) x_{t-1} + a (u_{t-1} W + I_t W_in + b + xi_t);  u_t = tanh(x_t);
 *             e_t = u_t W_out - p_t;  sums of e^2 and u^2 per trial
 *             (xi_t is drawn in the kernel from the step's seed: counter-noise.ts)
 *   backward: dx_t = (e_t W_out^T / (T B) + 2 lambdaRates u_t / (T B N) + a dx_{t+1} W^T) (1 - u_t^2) + (1-a) dx_{t+1}
 *             dW += a u_{t-1}^T dx_t;  dW_in += a I_t^T dx_t;  db += a sum_r dx_t;  dW_out += u_t^T e_t / (T B)
 * The same maths as bptt.ts (the TypeScript fast path), which the tests compare it against.
 */
import { GPU } from 'gpu.js';
import type { GpuJsMode } from '../../backends/resolve.js';
import type { Batch, CuevaModelConfig, CuevaParams } from './model.js';
import { assembleLoss, type FusedResult } from './bptt.js';
import { NOISE_KERNEL_FUNCTIONS, isCounterNoise, noiseNormal, seedHalves } from './counter-noise.js';


type Kernel = (...args: unknown[]) => unknown;

/** The sizes one plan is built for: T steps, B trials, N units, nIn inputs. */
export interface GpuJsShape {
  T: number;
  B: number;
  N: number;
  nIn: number;
}

/*
 * The two kernels of a time step. gpu.js compiles each function's source into WGSL, WebAssembly or
 * JavaScript, so they read their sizes from `this.constants` (named in `planLayout`) and use no
 * closures. thread.y is a row of the output buffer, thread.x a unit.
 */

/** F_t from F_{t-1} (t = 1..T+1; data row t-1 is step t's). Win holds the rows of W_in, then b. */
function forwardStep(this: any, F: any, W: any, Win: any, Wout: any, inputs: any, noiseStd: number, seedHi: number, seedLo: number, targets: any, t: number) {
  const row = this.thread.y;
  const j = this.thread.x;
  if (row < this.constants.B) {
    if (t > this.constants.T) return 0;
    // x_t = (1-a) x_{t-1} + a (u_{t-1} W + I_t W_in + b + xi_t); xi drawn here (counter-noise.ts)
    let s = Win[this.constants.nIn][j] + noiseStd * noiseNormal(seedHi, seedLo, t - 1, row * this.constants.N + j);
    for (let q = 0; q < this.constants.nIn; q++) s += inputs[t - 1][row * this.constants.nIn + q] * Win[q][j];
    for (let i = 0; i < this.constants.N; i++) s += Math.tanh(F[row][i]) * W[i][j];
    return (1 - this.constants.a) * F[row][j] + this.constants.a * s;
  }
  // e_{t-1} = u_{t-1} W_out - p_{t-1}, element (r, c) of the flattened [B, 2]
  const f = (row - this.constants.B) * this.constants.N + j;
  if (t < 2 || f >= 2 * this.constants.B) return 0;
  const r = Math.floor(f / 2);
  const c = f - 2 * r;
  let y = 0;
  for (let i = 0; i < this.constants.N; i++) y += Math.tanh(F[r][i]) * Wout[i][c];
  return y - targets[t - 2][f];
}

/** S for step t (t = T..0) from S of step t+1; Ft holds x_t, Fn = F_{t+1} holds e_t. */
function backwardStep(this: any, S: any, Ft: any, Fn: any, W: any, Wout: any, inputs: any, t: number) {
  const row = this.thread.y;
  const j = this.thread.x;
  const B = this.constants.B;
  const N = this.constants.N;
  if (row < B) {
    if (t < 1) return 0;
    // dx_t = (e_t W_out^T / (T B) + 2 lambdaRates u_t / (T B N) + a dx_{t+1} W^T) (1 - u_t^2) + (1-a) dx_{t+1}
    let rec = 0;
    for (let i = 0; i < N; i++) rec += S[row][i] * W[j][i];
    const f = 2 * row;
    const e0 = Fn[B + Math.floor(f / N)][f - N * Math.floor(f / N)];
    const e1 = Fn[B + Math.floor((f + 1) / N)][f + 1 - N * Math.floor((f + 1) / N)];
    const u = Math.tanh(Ft[row][j]);
    const du = (e0 * Wout[j][0] + e1 * Wout[j][1]) * this.constants.invTB + this.constants.rateGrad * u + this.constants.a * rec;
    return du * (1 - u * u) + (1 - this.constants.a) * S[row][j];
  }
  let s = 0;
  if (row < this.constants.ROW_SUM_E2) {
    // chunk kk's block: trials r0 .. r0 + CHUNK - 1
    const off = row - B;
    const kk = Math.floor(off / this.constants.CHUNK_ROWS);
    const local = off - kk * this.constants.CHUNK_ROWS;
    const r0 = kk * this.constants.CHUNK;
    if (local < this.constants.AT_DW_IN) {
      // dW += a u_t^T dx_{t+1}
      for (let m = 0; m < this.constants.CHUNK; m++) {
        const r = r0 + m;
        if (r < B) s += Math.tanh(Ft[r][local]) * S[r][j];
      }
      return S[row][j] + this.constants.a * s;
    }
    if (local < this.constants.AT_DB) {
      // dW_in += a I_{t+1}^T dx_{t+1} (none for t = T: dx_{T+1} = 0)
      if (t >= this.constants.T) return S[row][j];
      const q = local - this.constants.AT_DW_IN;
      for (let m = 0; m < this.constants.CHUNK; m++) {
        const r = r0 + m;
        if (r < B) s += inputs[t][r * this.constants.nIn + q] * S[r][j];
      }
      return S[row][j] + this.constants.a * s;
    }
    if (local === this.constants.AT_DB) {
      for (let m = 0; m < this.constants.CHUNK; m++) {
        const r = r0 + m;
        if (r < B) s += S[r][j];
      }
      return S[row][j] + this.constants.a * s;
    }
    if (local < this.constants.AT_SUM_U2) {
      // dW_out^T += e_t^T u_t / (T B) (zero for t = 0: u_0 = 0)
      const c = local - this.constants.AT_DW_OUT;
      for (let m = 0; m < this.constants.CHUNK; m++) {
        const r = r0 + m;
        if (r < B) {
          const f = 2 * r + c;
          s += Math.tanh(Ft[r][j]) * Fn[B + Math.floor(f / N)][f - N * Math.floor(f / N)];
        }
      }
      return S[row][j] + s * this.constants.invTB;
    }
    for (let m = 0; m < this.constants.CHUNK; m++) {
      const r = r0 + m;
      if (r < B) s += Math.tanh(Ft[r][j]) * Math.tanh(Ft[r][j]);
    }
    return S[row][j] + s;
  }
  // sum of e_t^2 over the trials r = j, j + N, j + 2N, ... (t = 0 has none)
  if (t < 1) return S[row][j];
  for (let m = 0; m < this.constants.ERR_ROWS; m++) {
    const r = j + m * N;
    if (r < B) {
      const f = 2 * r;
      const e0 = Fn[B + Math.floor(f / N)][f - N * Math.floor(f / N)];
      const e1 = Fn[B + Math.floor((f + 1) / N)][f + 1 - N * Math.floor((f + 1) / N)];
      s += e0 * e0 + e1 * e1;
    }
  }
  return S[row][j] + s;
}

/**
 * Where each quantity lives in the kernels' buffers (rows of N columns).
 *   F_t (forward):  [0, B) x_t;  [B, B + ERR_ROWS) e_{t-1}, the readout error of the step before,
 *                   flattened (2 B values).
 *   S (backward):   [0, B) dx_t;  then, for each chunk of at most CHUNK trials, a block of
 *                   CHUNK_ROWS rows holding the chunk's running sums: dW at [0, N), dW_in at
 *                   AT_DW_IN, db at AT_DB, dW_out^T at AT_DW_OUT (2 rows), the sum of u^2 per unit
 *                   at AT_SUM_U2; last, at ROW_SUM_E2, the sum of e^2 per trial group.
 * The gradient sums over the batch are split into chunks, each summed by its own threads (a
 * thread's serial loop over all B trials was the long pole at B 500); the chunks' partial sums
 * are added on the CPU after the one readback.
 */
function planLayout({ B, N, nIn }: GpuJsShape) {
  const CHUNK = Math.min(B, 50);
  const chunks = Math.ceil(B / CHUNK);
  const AT_DW_IN = N;
  const AT_DB = AT_DW_IN + nIn;
  const AT_DW_OUT = AT_DB + 1;
  const AT_SUM_U2 = AT_DW_OUT + 2;
  const CHUNK_ROWS = AT_SUM_U2 + 1;
  return { ERR_ROWS: Math.ceil((2 * B) / N), CHUNK, chunks, CHUNK_ROWS, AT_DW_IN, AT_DB, AT_DW_OUT, AT_SUM_U2, ROW_SUM_E2: B + chunks * CHUNK_ROWS };
}

/**
 * The kernels and the traced plan for one (T, B, N, nIn) and model config.
 *
 * Two kernels a time step. On a GPU each kernel call is a dispatch with a fixed cost (~70 us
 * measured through Dawn on an H100) that dwarfs the arithmetic at N 100, so the plan packs all of
 * a step's work into one forward and one backward dispatch, each writing one buffer of N columns
 * (`planLayout`). u = tanh(x) is recomputed where it is read instead of being stored. Each
 * backward dispatch computes dx_t from dx_{t+1} (the previous S) and, in the other rows, adds the
 * gradient terms of step t+1, whose dx_{t+1} is now complete; a last dispatch (t = 0) adds step 1's.
 *
 * @example
 * const kernels = new GpuJsCueva('webgpu', model, { T: 500, B: 64, N: 100, nIn: 2 });
 * const { loss, grads } = await kernels.lossAndGrad(params, batch);  // batch.noise: { seed, std }
 * kernels.destroy();
 */
export class GpuJsCueva {
  readonly mode: GpuJsMode;
  private readonly gpu: GPU;
  private readonly run: (...args: unknown[]) => Promise<Record<string, unknown>>;
  private readonly layout: ReturnType<typeof planLayout>;

  constructor(mode: GpuJsMode, readonly cfg: CuevaModelConfig, readonly shape: GpuJsShape) {
    this.mode = mode;
    this.gpu = new GPU({ mode });
    for (const [fn, types] of NOISE_KERNEL_FUNCTIONS) this.gpu.addFunction(fn as never, types as never);
    const { T, B, N, nIn } = shape;
    const layout = (this.layout = planLayout(shape));
    const { chunks: _chunks, ...rows } = layout;
    const constants = { T, B, N, nIn, ...rows, a: cfg.alpha, invTB: 1 / (T * B), rateGrad: (2 * cfg.lambdaRates) / (T * B * N) };
    // Index arithmetic must stay exact: gpu.js types plain numbers as f32 on webgpu, and an f32
    // flat index such as (t B + r) N + j is not exact past 2^24 (the noise, when it was still
    // uploaded, reached 2.5e7 at T 500, B 500, N 100, and the kernels silently read the wrong
    // values). So the per-step data (inputs, targets) are passed as T rows and read as
    // data[t][r nIn + q]: gpu.js turns a 2-D read into integer (i32) index arithmetic, and the
    // column stays small. The sizes are integer constants. The noise is not passed at all: the
    // forward kernel draws it from the step's seed (counter-noise.ts), which saved moving 95 MiB a
    // step at B 500, T 500 (more than half of an H100 step).
    const constantTypes: Record<string, string> = { a: 'Float', invTB: 'Float', rateGrad: 'Float' };
    for (const name of ['T', 'B', 'N', 'nIn', ...Object.keys(rows)]) constantTypes[name] = 'Integer';
    const k = (fn: Function, output: number[]) =>
      this.gpu.createKernel(fn as never, { output, constants, constantTypes, tactic: 'precision' } as never) as unknown as Kernel;
    const forwardK = k(forwardStep, [N, B + layout.ERR_ROWS]);
    const backwardK = k(backwardStep, [N, layout.ROW_SUM_E2 + 1]);
    const zerosK = (out: number[]) => k(function () {
      return 0;
    }, out);
    const zF = zerosK([N, B + layout.ERR_ROWS]);
    const zS = zerosK([N, layout.ROW_SUM_E2 + 1]);

    this.run = this.gpu.createPipeline(function (this: any, W: any, Win: any, Wout: any, inputs: any, noiseStd: number, seedHi: number, seedLo: number, targets: any) {
      const steps = this.constants.T;
      const F = [zF()];
      for (let t = 1; t <= steps + 1; t++) F.push(forwardK(F[t - 1], W, Win, Wout, inputs, noiseStd, seedHi, seedLo, targets, t));
      let S = zS();
      for (let t = steps; t >= 0; t--) S = backwardK(S, F[t], F[t + 1], W, Wout, inputs, t);
      return { S };
    }, { constants: { T } } as never) as never;
  }

  /** Loss and gradient of one batch (its noise given as a counter-noise seed, or none). */
  async lossAndGrad(p: CuevaParams, data: Batch): Promise<FusedResult> {
    const { T, B, N, nIn } = this.shape;
    if (data.steps !== T || data.batch !== B) throw new Error(`gpu.js BPTT: built for T ${T}, B ${B}; got T ${data.steps}, B ${data.batch}`);
    const rows = (d: ArrayLike<number>, r: number, c: number) => Array.from({ length: r }, (_, i) => Float32Array.from({ length: c }, (_, j) => d[i * c + j]));
    const noise = data.noise;
    if (noise !== null && !isCounterNoise(noise)) {
      throw new Error('gpu.js BPTT: the kernels draw the noise themselves; give the batch counter noise { seed, std } (counter-noise.ts), not an array');
    }
    const [seedHi, seedLo] = noise ? seedHalves(noise.seed) : [0, 0];
    // per-step data as T rows (views, no copy); see the constructor for why
    const steps = (d: Float32Array, width: number) => Array.from({ length: T }, (_, t) => d.subarray(t * width, (t + 1) * width));
    const out = await this.run(
      rows(p.wRec.data, N, N), [...rows(p.wIn.data, nIn, N), Float32Array.from(p.b.data)], rows(p.wOut.data, N, 2),
      steps(data.inputs, B * nIn), noise ? noise.std : 0, seedHi, seedLo, steps(data.targets, B * 2),
    );
    const { chunks, CHUNK_ROWS, AT_DW_IN, AT_SUM_U2, ROW_SUM_E2 } = this.layout;
    const S = flat(out.S, (ROW_SUM_E2 + 1) * N);
    // add the chunks' partial sums: one block of CHUNK_ROWS rows
    const sums = new Float32Array(CHUNK_ROWS * N);
    for (let kk = 0; kk < chunks; kk++) {
      const at = (B + kk * CHUNK_ROWS) * N;
      for (let q = 0; q < CHUNK_ROWS * N; q++) sums[q] += S[at + q];
    }
    const block = (row: number, count: number) => sums.slice(row * N, (row + count) * N);
    let se = 0;
    let sr = 0;
    for (let j = 0; j < N; j++) {
      sr += sums[AT_SUM_U2 * N + j];
      se += S[ROW_SUM_E2 * N + j];
    }
    const gSmall = block(AT_DW_IN, nIn + 3);
    const gWin = gSmall.slice(0, nIn * N);
    const gb = gSmall.slice(nIn * N, (nIn + 1) * N);
    const gWout = new Float32Array(N * 2);
    for (let j = 0; j < N; j++) {
      gWout[j * 2] = gSmall[(nIn + 1) * N + j];
      gWout[j * 2 + 1] = gSmall[(nIn + 2) * N + j];
    }
    return assembleLoss(this.cfg, p, T, B, se, sr, [block(0, N), gWin, gb, gWout]);
  }

  /** Releases the kernels and their device memory. */
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

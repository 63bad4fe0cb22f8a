/**
 * The CuevaRNN's loss and its gradient by hand-written backpropagation through time, fused over
 * each step: the fast path that training uses. `cuevaLoss` (the autograd tape) stays the oracle;
 * tests check this against it (and so, through checkGrads, against finite differences).
 *
 * Forward, for t = 1..T (row vectors, batch B, N units; x_0 = 0, so u_0 = f(0) = 0, or with a start
 * encoder x_0 = p_0 W_start; f the activation: tanh, the paper's, or relu or rectified tanh,
 * max(0, tanh), whose derivative f' is read off u):
 *   pre_t = u_{t-1} W_rec + I_t W_in + b + xi_t;  x_t = (1-a) x_{t-1} + a pre_t;  u_t = f(x_t);  y_t = u_t W_out
 * Backward, for t = T..1, with g_{T+1} = 0 and dx_{T+1} = 0:
 *   dy_t = (y_t - p_t) / (T B)                                    (d MSE / d y_t; MSE averages 2TB terms)
 *   du_t = dy_t W_out^T + 2 lambdaRates u_t / (T B N) + g_{t+1} W_rec^T     (readout, metabolic cost, recurrence)
 *   dx_t = du_t f'(u_t) + (1-a) dx_{t+1};   g_t = a dx_t      (g_t = d loss / d pre_t)
 * with f'(u) = 1 - u^2 for tanh, [u > 0] for relu, [u > 0] (1 - u^2) for rectified tanh.
 * with the weight gradients accumulated step by step while u_{t-1} and g_t are in cache:
 *   dW_rec += u_{t-1}^T g_t,  dW_in += I_t^T g_t,  db += sum_b g_t,  dW_out += u_t^T dy_t,
 * plus the weight cost's 2 lambdaWeights W / size; with a start encoder, the initial state's
 *   dx_0 = (g_1 W_rec^T) f'(u_0) + (1-a) dx_1,   dW_start = p_0^T dx_0.
 *
 * The matrix products run on the tensor backend (`matmul`, `matmulTransA`); with a backend that
 * owns memory (WebAssembly), the working set lives there and nothing is copied per step, and the
 * element-wise loops of the forward, reverse and tangent passes run as WebAssembly too
 * (wasm-steps.ts: the same arithmetic in the same order, so the same bits as the TypeScript loops
 * here, which every other case runs). In float32, tanh is a rational approximation (max relative error 2.4e-7 after
 * rounding to float32, ~6x faster than Math.tanh); in float64 it is Math.tanh, so tests can
 * compare exactly.
 */
import { Tensor, getBackend, type Backend, type Data } from '@gridcells/tensor';
import { namedBuffers } from '../../backends/workspace.js';
import { noiseInto, paramShapes, startEncoding, type Batch, type CuevaModelConfig, type CuevaParams } from './model.js';
import { wasmSteps, type WasmSteps } from './wasm-steps.js';

/** The CuevaRNN loss, its parts, and the gradient from the fused BPTT. */
export interface FusedResult {
  loss: number;
  mse: number;
  weightCost: number;
  rateCost: number;
  /** Gradients in PARAM_NAMES order: wRec, wIn, b, wOut (and wStart where the network has one). */
  grads: Tensor[];
}

// tanh(x) = x P(x^2) / Q(x^2) on [-7.905, 7.905] (clamped outside), the minimax rational form
// Eigen uses for float (generic_fast_tanh_float); checked against Math.tanh in the tests.
const TANH_CLAMP = 7.90531110763549805;
const A1 = 4.89352455891786e-3, A3 = 6.37261928875436e-4, A5 = 1.48572235717979e-5, A7 = 5.12229709037114e-8;
const A9 = -8.60467152213735e-11, A11 = 2.00018790482477e-13, A13 = -2.76076847742355e-16;
const B0 = 4.89352518554385e-3, B2 = 2.2684346324390e-3, B4 = 1.18534705686654e-4, B6 = 1.19825839466702e-6;

/** The rate functions as numbers, so the hot loops branch on a constant instead of calling a closure. */
const TANH = 0, RELU = 1, RECTIFIED_TANH = 2, EXACT_TANH = 3, EXACT_RECTIFIED_TANH = 4;

/** The config's rate function: tanh by Math.tanh in float64 (exact comparisons), else by fastTanh. */
function rateKind(cfg: CuevaModelConfig, float64: boolean): number {
  switch (cfg.activation ?? 'tanh') {
    case 'relu': return RELU;
    case 'rectified-tanh': return float64 ? EXACT_RECTIFIED_TANH : RECTIFIED_TANH;
    default: return float64 ? EXACT_TANH : TANH;
  }
}

/** u = f(x) for a rate function of rateKind. */
function rate(kind: number, x: number): number {
  switch (kind) {
    case TANH: return fastTanh(x);
    case RELU: return x > 0 ? x : 0;
    case RECTIFIED_TANH: return x > 0 ? fastTanh(x) : 0;
    case EXACT_TANH: return Math.tanh(x);
    default: return x > 0 ? Math.tanh(x) : 0;
  }
}

/** f'(x) read off u = f(x). */
function slope(kind: number, u: number): number {
  if (kind === RELU) return u > 0 ? 1 : 0;
  if (kind === TANH || kind === EXACT_TANH) return 1 - u * u;
  return u > 0 ? 1 - u * u : 0;
}

/** tanh by the rational approximation above (float32 paths). */
export function fastTanh(v: number): number {
  const x = v > TANH_CLAMP ? TANH_CLAMP : v < -TANH_CLAMP ? -TANH_CLAMP : v;
  const x2 = x * x;
  const p = ((((((A13 * x2 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2 + A1) * x;
  const q = ((B6 * x2 + B4) * x2 + B2) * x2 + B0;
  return p / q;
}

/**
 * What every pass needs: sizes, the kernels, and the working set (the weights, the batch's inputs
 * and noise, the states and the gradient sums), all in the kernels' memory when they have some.
 */
interface Context {
  cfg: CuevaModelConfig;
  backend: Backend;
  /** The WebAssembly element-wise loops, or null for the TypeScript ones. */
  steps: WasmSteps | null;
  float64: boolean;
  T: number;
  B: number;
  N: number;
  nIn: number;
  W: Data;
  WT: Data;
  Win: Data;
  bias: Data;
  Wout: Data;
  /** The start encoder and the trials' start positions [B][2], or null (x_0 = 0). */
  Wstart: Data | null;
  starts: Float32Array | null;
  /** U[t] = u_t for t = 0..T. */
  U: Data;
  pre: Data;
  g: Data;
  gNext: Data;
  gW: Data;
  /** The state x_t (forward) and dx_t (reverse and tangent passes). */
  x: Data;
  dx: Data;
  /** The readout [T][B][2], and its cotangent. */
  Y: Data;
  DY: Data;
  inputs: Data;
  /** The recurrent noise [T][B][N], or null. */
  noise: Data | null;
  gWin: Data;
  gb: Data;
  gWout: Data;
}

function context<K extends string>(cfg: CuevaModelConfig, p: CuevaParams, data: Batch, backend: Backend, extra: Record<K, number>): Context & Record<K, Data> {
  const { steps: T, batch: B } = data;
  const N = cfg.hidden;
  const nIn = cfg.nInputs;
  const BN = B * N;
  const float64 = p.wRec.dtype === 'float64';
  const noise = data.noise !== null;
  const buf = namedBuffers(backend, float64, {
    W: N * N, WT: N * N, U: (T + 1) * BN, pre: BN, g: BN, gNext: BN, gW: N * N, x: BN, dx: BN, Y: T * B * 2, DY: T * B * 2,
    Win: nIn * N, bias: N, Wout: 2 * N, inputs: T * B * nIn, noise: noise ? T * BN : 0, gWin: nIn * N, gb: N, gWout: 2 * N, ...extra,
  } as Record<string, number>);
  buf.W.set(p.wRec.data);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) buf.WT[j * N + i] = buf.W[i * N + j];
  buf.Win.set(p.wIn.data);
  buf.bias.set(p.b.data);
  buf.Wout.set(p.wOut.data);
  buf.inputs.set(data.inputs);
  noiseInto(data, N, buf.noise);
  const enc = startEncoding(cfg, p.wStart, data.starts);
  return {
    ...(buf as Record<string, Data>),
    noise: noise ? buf.noise : null,
    // the WebAssembly loops cover float32, the paper's two inputs and an even number of units
    steps: !float64 && nIn === 2 && N % 2 === 0 ? wasmSteps(backend) : null,
    cfg, backend, float64, T, B, N, nIn,
    Wstart: enc ? enc.wStart.data : null, starts: enc ? enc.starts : null,
  } as Context & Record<K, Data>;
}

/** Bytes of a float32 element: the WebAssembly loops take byte offsets. */
const F32 = 4;

/**
 * The forward pass: fills U and returns the readout Y ([T][B][2]) and the sum of squared rates.
 */
function forward(c: Context): { Y: Data; sumSqRates: number } {
  const { T, B, N, nIn, W, Win, bias, Wout, U, pre, inputs, backend, x, Y, noise, steps } = c;
  const a = c.cfg.alpha;
  const BN = B * N;
  const kind = rateKind(c.cfg, c.float64);
  // the paper's two inputs (speed, direction) written out: a loop over them costs ~40% of this pass
  const twoInputs = nIn === 2;
  x.fill(0);
  const { Wstart, starts } = c;
  if (Wstart && starts) {
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < N; j++) {
        const xv = starts[2 * r] * Wstart[j] + starts[2 * r + 1] * Wstart[N + j];
        x[r * N + j] = xv;
        U[r * N + j] = rate(kind, xv);
      }
    }
  }
  let sr = 0;
  for (let t = 1; t <= T; t++) {
    backend.matmul(U.subarray((t - 1) * BN, t * BN), W, pre, 1, B, N, N, 0, 0);
    const uo = t * BN;
    if (steps) {
      sr = steps.forward_step(
        pre.byteOffset, bias.byteOffset, Win.byteOffset, inputs.byteOffset + (t - 1) * B * 2 * F32,
        noise ? noise.byteOffset + (t - 1) * BN * F32 : 0, noise ? 1 : 0, x.byteOffset, U.byteOffset + uo * F32,
        Wout.byteOffset, Y.byteOffset + (t - 1) * B * 2 * F32, B, N, a, kind, sr,
      );
    } else {
      for (let r = 0; r < B; r++) {
        const io = ((t - 1) * B + r) * nIn;
        const ro = r * N;
        const no = (t - 1) * BN + ro;
        const i0 = inputs[io];
        const i1 = inputs[io + 1];
        let y0 = 0;
        let y1 = 0;
        for (let j = 0; j < N; j++) {
          let s = pre[ro + j] + bias[j];
          if (twoInputs) {
            s += i0 * Win[j];
            s += i1 * Win[N + j];
          } else {
            for (let q = 0; q < nIn; q++) s += inputs[io + q] * Win[q * N + j];
          }
          if (noise) s += noise[no + j];
          const xv = (1 - a) * x[ro + j] + a * s;
          x[ro + j] = xv;
          const u = rate(kind, xv);
          U[uo + ro + j] = u;
          sr += u * u;
          y0 += u * Wout[j * 2];
          y1 += u * Wout[j * 2 + 1];
        }
        const to = ((t - 1) * B + r) * 2;
        Y[to] = y0;
        Y[to + 1] = y1;
      }
    }
  }
  return { Y, sumSqRates: sr };
}

/**
 * Reverse mode through time for output cotangents: DY ([T][B][2], for the readout) and, for the
 * rates, either `uScale` x DU[t] (when DU is given) or `uScale` x u_t (the metabolic cost's
 * gradient). Returns [dW_rec, dW_in, db, dW_out].
 */
function backward(c: Context, DY: Data, DU: Data | null, uScale: number): Data[] {
  const { T, B, N, nIn, WT, Wout, U, inputs, backend, gW, dx, gWin, gb, gWout, steps } = c;
  const a = c.cfg.alpha;
  const BN = B * N;
  const kind = rateKind(c.cfg, c.float64);
  const twoInputs = nIn === 2;
  let { g, gNext } = c;
  const alloc = (n: number) => (c.float64 ? new Float64Array(n) : new Float32Array(n));
  const rec = c.pre;
  const { Wstart, starts } = c;
  for (const sum of [gW, dx, gWin, gb, gWout]) sum.fill(0);
  for (let t = T; t >= 1; t--) {
    if (t < T) backend.matmul(gNext, WT, rec, 1, B, N, N, 0, 0);
    else rec.fill(0);
    const uo = t * BN;
    if (steps) {
      steps.backward_step(
        U.byteOffset + uo * F32, DU ? DU.byteOffset + uo * F32 : 0, DU ? 1 : 0, rec.byteOffset,
        DY.byteOffset + (t - 1) * B * 2 * F32, inputs.byteOffset + (t - 1) * B * 2 * F32, Wout.byteOffset,
        dx.byteOffset, g.byteOffset, gb.byteOffset, gWin.byteOffset, gWout.byteOffset, B, N, a, uScale, kind,
      );
    } else {
      for (let r = 0; r < B; r++) {
        const to = ((t - 1) * B + r) * 2;
        const d0 = DY[to];
        const d1 = DY[to + 1];
        const io = ((t - 1) * B + r) * nIn;
        const i0 = inputs[io];
        const i1 = inputs[io + 1];
        const ro = r * N;
        for (let j = 0; j < N; j++) {
          const u = U[uo + ro + j];
          const du = d0 * Wout[j * 2] + d1 * Wout[j * 2 + 1] + uScale * (DU ? DU[uo + ro + j] : u) + rec[ro + j];
          const dxv = du * slope(kind, u) + (1 - a) * dx[ro + j];
          dx[ro + j] = dxv;
          const gv = a * dxv;
          g[ro + j] = gv;
          gb[j] += gv;
          gWout[j * 2] += u * d0;
          gWout[j * 2 + 1] += u * d1;
          if (twoInputs) {
            gWin[j] += i0 * gv;
            gWin[N + j] += i1 * gv;
          } else {
            for (let q = 0; q < nIn; q++) gWin[q * N + j] += inputs[io + q] * gv;
          }
        }
      }
    }
    // dW_rec += u_{t-1}^T g_t  (u_0 = 0 adds nothing without a start encoder)
    if (t > 1 || Wstart) backend.matmulTransA(U.subarray((t - 1) * BN, t * BN), g, gW, N, B, N);
    [g, gNext] = [gNext, g];
  }
  // copies: the sums live in the working set, which the next pass reuses
  const sums = [gW.slice(), gWin.slice(), gb.slice(), gWout.slice()];
  if (!(Wstart && starts)) return sums;
  // the initial state: dx_0 = (g_1 W_rec^T) f'(u_0) + (1-a) dx_1, then dW_start = p_0^T dx_0
  backend.matmul(gNext, WT, rec, 1, B, N, N, 0, 0);
  const gWstart = alloc(2 * N);
  for (let r = 0; r < B; r++) {
    const ro = r * N;
    for (let j = 0; j < N; j++) {
      const dx0 = rec[ro + j] * slope(kind, U[ro + j]) + (1 - a) * dx[ro + j];
      gWstart[j] += starts[2 * r] * dx0;
      gWstart[N + j] += starts[2 * r + 1] * dx0;
    }
  }
  return [...sums, gWstart];
}

/** A weight direction in the working set (W_start's is read where it is), and the tangent rates DU. */
interface Direction {
  dWrec: Data;
  dWin: Data;
  db: Data;
  dWout: Data;
  dU: Data;
}

/**
 * Forward mode through time for a weight direction v = [dW_rec, dW_in, db, dW_out(, dW_start)]:
 * fills DU ([T+1][B][N], du_t = f'(u_t) dx_t, with dx_0 = p_0 dW_start) and returns dY
 * ([T][B][2]). Needs U from `forward`.
 */
function tangent(c: Context & Direction, v: Tensor[]): Data {
  const { T, B, N, nIn, W, Wout, U, inputs, backend, dWrec, dWin, db, dWout, dU, dx, DY: dY, steps } = c;
  const a = c.cfg.alpha;
  const BN = B * N;
  const kind = rateKind(c.cfg, c.float64);
  const twoInputs = nIn === 2;
  dWrec.set(v[0].data);
  dWin.set(v[1].data);
  db.set(v[2].data);
  dWout.set(v[3].data);
  const t1 = c.pre;
  const t2 = c.g;
  dx.fill(0);
  dU.fill(0, 0, BN);
  const { starts } = c;
  if (c.Wstart && starts) {
    const dWs = v[4].data;
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < N; j++) {
        const dxv = starts[2 * r] * dWs[j] + starts[2 * r + 1] * dWs[N + j];
        dx[r * N + j] = dxv;
        dU[r * N + j] = slope(kind, U[r * N + j]) * dxv;
      }
    }
  }
  for (let t = 1; t <= T; t++) {
    backend.matmul(dU.subarray((t - 1) * BN, t * BN), W, t1, 1, B, N, N, 0, 0);
    backend.matmul(U.subarray((t - 1) * BN, t * BN), dWrec, t2, 1, B, N, N, 0, 0);
    const uo = t * BN;
    if (steps) {
      steps.tangent_step(
        t1.byteOffset, t2.byteOffset, db.byteOffset, dWin.byteOffset, inputs.byteOffset + (t - 1) * B * 2 * F32, dx.byteOffset,
        U.byteOffset + uo * F32, dU.byteOffset + uo * F32, Wout.byteOffset, dWout.byteOffset, dY.byteOffset + (t - 1) * B * 2 * F32, B, N, a, kind,
      );
    } else {
      for (let r = 0; r < B; r++) {
        const io = ((t - 1) * B + r) * nIn;
        const i0 = inputs[io];
        const i1 = inputs[io + 1];
        const ro = r * N;
        let y0 = 0;
        let y1 = 0;
        for (let j = 0; j < N; j++) {
          let s = t1[ro + j] + t2[ro + j] + db[j];
          if (twoInputs) {
            s += i0 * dWin[j];
            s += i1 * dWin[N + j];
          } else {
            for (let q = 0; q < nIn; q++) s += inputs[io + q] * dWin[q * N + j];
          }
          const dxv = (1 - a) * dx[ro + j] + a * s;
          dx[ro + j] = dxv;
          const u = U[uo + ro + j];
          const du = slope(kind, u) * dxv;
          dU[uo + ro + j] = du;
          y0 += du * Wout[j * 2] + u * dWout[j * 2];
          y1 += du * Wout[j * 2 + 1] + u * dWout[j * 2 + 1];
        }
        const to = ((t - 1) * B + r) * 2;
        dY[to] = y0;
        dY[to + 1] = y1;
      }
    }
  }
  return dY;
}

function tensors(cfg: CuevaModelConfig, grads: Data[]): Tensor[] {
  return Object.values(paramShapes(cfg)).map((shape, k) => Tensor.fromData(grads[k], shape));
}

/**
 * Adds the weight cost's gradient (2 lambdaWeights W / size for W_in and W_out) evaluated at `wIn`, `wOut`:
 * the weights themselves for a gradient, a direction v for a Gauss-Newton product (the cost is
 * quadratic, so its Hessian times v is the same expression).
 */
function addWeightCost(cfg: CuevaModelConfig, grads: Data[], wIn: ArrayLike<number>, wOut: ArrayLike<number>): void {
  const cIn = (2 * cfg.lambdaWeights) / wIn.length;
  for (let k = 0; k < grads[1].length; k++) grads[1][k] += cIn * wIn[k];
  const cOut = (2 * cfg.lambdaWeights) / wOut.length;
  for (let k = 0; k < grads[3].length; k++) grads[3][k] += cOut * wOut[k];
}

/**
 * The loss from its sums (squared readout errors, squared rates) and the weights, and the
 * gradient with the weight cost's part added: shared by every backend's BPTT.
 */
export function assembleLoss(cfg: CuevaModelConfig, p: CuevaParams, T: number, B: number, sumSqErrors: number, sumSqRates: number, grads: Data[]): FusedResult {
  const Win = p.wIn.data;
  const Wout = p.wOut.data;
  let wIn2 = 0;
  for (const v of Win) wIn2 += v * v;
  let wOut2 = 0;
  for (const v of Wout) wOut2 += v * v;
  const mse = sumSqErrors / (T * B * 2);
  const rateCost = (cfg.lambdaRates * sumSqRates) / (T * B * cfg.hidden);
  const weightCost = cfg.lambdaWeights * (wIn2 / Win.length + wOut2 / Wout.length);
  addWeightCost(cfg, grads, Win, Wout);
  return { loss: mse + weightCost + rateCost, mse, weightCost, rateCost, grads: tensors(cfg, grads) };
}

/**
 * The loss sums of some trials (squared readout errors, squared rates) and their gradient without
 * the weight cost, each term normalised as part of a batch of `wholeBatch` trials: the sums over a
 * batch's chunks, added, give the batch's (cuevaLossAndGrad adds the weight cost).
 */
export function cuevaPartial(cfg: CuevaModelConfig, p: CuevaParams, data: Batch, backend: Backend, wholeBatch = data.batch): { sums: number[]; grads: Data[] } {
  const { steps: T } = data;
  const B = wholeBatch;
  const c = context(cfg, p, data, backend, {});
  const { Y, sumSqRates } = forward(c);
  const DY = c.DY;
  let se = 0;
  for (let k = 0; k < Y.length; k++) {
    const e = Y[k] - data.targets[k];
    se += e * e;
    DY[k] = e / (T * B);
  }
  const grads = backward(c, DY, null, (2 * cfg.lambdaRates) / (T * B * cfg.hidden));
  return { sums: [se, sumSqRates], grads };
}

/**
 * The CuevaRNN loss and gradient by the fused BPTT on `backend`'s matrix products (float64 when
 * the weights are).
 *
 * @example const { loss, grads } = cuevaLossAndGrad(model, params, batch, wasmKernels()!);
 */
export function cuevaLossAndGrad(cfg: CuevaModelConfig, p: CuevaParams, data: Batch, backend: Backend = getBackend()): FusedResult {
  const { sums, grads } = cuevaPartial(cfg, p, data, backend);
  return assembleLoss(cfg, p, data.steps, data.batch, sums[0], sums[1], grads);
}

/**
 * The Gauss-Newton product of some trials without the weight cost's term, normalised as part of a
 * batch of `wholeBatch` trials (see cuevaGaussNewton).
 */
export function cuevaGaussNewtonPartial(cfg: CuevaModelConfig, p: CuevaParams, data: Batch, v: Tensor[], structural: number, backend: Backend, wholeBatch = data.batch): Data[] {
  const { steps: T } = data;
  const B = wholeBatch;
  const N = cfg.hidden;
  // curvature is taken on the noiseless network
  const c = context(cfg, p, { ...data, noise: null }, backend, { dWrec: N * N, dWin: cfg.nInputs * N, db: N, dWout: 2 * N, dU: (T + 1) * data.batch * N });
  forward(c);
  const dY = tangent(c, v);
  for (let k = 0; k < dY.length; k++) dY[k] /= T * B;
  return backward(c, dY, c.dU, (2 * cfg.lambdaRates + structural) / (T * B * N));
}

/**
 * The Gauss-Newton product G v of the CuevaRNN loss (Martens & Sutskever 2011): the readout's
 * squared error and the metabolic cost are least-squares terms in the outputs (y_t, u_t), the
 * weight cost is quadratic in the weights, so
 *   G v = J_y^T (dy / (T B)) + J_u^T ((2 lambdaRates + structural) du / (T B N)) + 2 lambdaWeights v_{in,out} / size
 * with (dy, du) = J v from one forward-mode pass and J^T from one reverse-mode pass.
 * `structural` is lambda x mu of structural damping (a penalty on changes of the hidden states).
 * Noise is left out: curvature is taken on the noiseless network.
 */
export function cuevaGaussNewton(cfg: CuevaModelConfig, p: CuevaParams, data: Batch, v: Tensor[], structural = 0, backend: Backend = getBackend()): Tensor[] {
  const grads = cuevaGaussNewtonPartial(cfg, p, data, v, structural, backend);
  return gaussNewtonWithWeightCost(cfg, grads, v);
}

/** A Gauss-Newton product from its summed partials: the weight cost's term added, as tensors. */
export function gaussNewtonWithWeightCost(cfg: CuevaModelConfig, grads: Data[], v: Tensor[]): Tensor[] {
  addWeightCost(cfg, grads, v[1].data, v[3].data);
  return tensors(cfg, grads);
}

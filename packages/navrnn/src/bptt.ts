/**
 * The CuevaRNN's loss and its gradient by hand-written backpropagation through time, fused over
 * each step: the fast path that training uses. `cuevaLoss` (the autograd tape) stays the oracle;
 * tests check this against it (and so, through checkGrads, against finite differences).
 *
 * Forward, for t = 1..T (row vectors, batch B, N units; u_0 = tanh(x_0) = 0):
 *   pre_t = u_{t-1} W_rec + I_t W_in + b + xi_t;  x_t = (1-a) x_{t-1} + a pre_t;  u_t = tanh(x_t);  y_t = u_t W_out
 * Backward, for t = T..1, with g_{T+1} = 0 and dx_{T+1} = 0:
 *   dy_t = (y_t - p_t) / (T B)                                    (d MSE / d y_t; MSE averages 2TB terms)
 *   du_t = dy_t W_out^T + 2 lr u_t / (T B N) + g_{t+1} W_rec^T     (readout, metabolic cost, recurrence)
 *   dx_t = du_t (1 - u_t^2) + (1-a) dx_{t+1};   g_t = a dx_t      (g_t = d loss / d pre_t)
 * with the weight gradients accumulated step by step while u_{t-1} and g_t are in cache:
 *   dW_rec += u_{t-1}^T g_t,  dW_in += I_t^T g_t,  db += sum_b g_t,  dW_out += u_t^T dy_t,
 * plus the weight cost's 2 lw W / size.
 *
 * The matrix products run on the tensor backend (`matmul`, `matmulTransA`); with a backend that
 * owns memory (WebAssembly), the working set lives there and nothing is copied per step. In
 * float32, tanh is a rational approximation (max relative error 2.4e-7 after rounding to float32,
 * ~6x faster than Math.tanh); in float64 it is Math.tanh, so tests can compare exactly.
 */
import { Tensor, allocate, getBackend, type Backend, type Data } from '@gridcells/tensor';
import type { Batch, CuevaModelConfig, CuevaParams } from './model.js';

export interface FusedResult {
  loss: number;
  mse: number;
  weightCost: number;
  rateCost: number;
  /** Gradients in PARAM_NAMES order: wRec, wIn, b, wOut. */
  grads: Tensor[];
}

// tanh(x) = x P(x^2) / Q(x^2) on [-7.905, 7.905] (clamped outside), the minimax rational form
// Eigen uses for float (generic_fast_tanh_float); checked against Math.tanh in the tests.
const TANH_CLAMP = 7.90531110763549805;
const A1 = 4.89352455891786e-3, A3 = 6.37261928875436e-4, A5 = 1.48572235717979e-5, A7 = 5.12229709037114e-8;
const A9 = -8.60467152213735e-11, A11 = 2.00018790482477e-13, A13 = -2.76076847742355e-16;
const B0 = 4.89352518554385e-3, B2 = 2.2684346324390e-3, B4 = 1.18534705686654e-4, B6 = 1.19825839466702e-6;

export function fastTanh(v: number): number {
  const x = v > TANH_CLAMP ? TANH_CLAMP : v < -TANH_CLAMP ? -TANH_CLAMP : v;
  const x2 = x * x;
  const p = ((((((A13 * x2 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2 + A1) * x;
  const q = ((B6 * x2 + B4) * x2 + B2) * x2 + B0;
  return p / q;
}

/** Carves one block of memory into named buffers (in the backend's memory when it has some). */
function buffers<K extends string>(backend: Backend, float64: boolean, sizes: Record<K, number>): Record<K, Data> {
  const total = Object.values<number>(sizes).reduce((a, b) => a + b, 0);
  const block: Data = !float64 && backend.workspace ? backend.workspace(total) : float64 ? new Float64Array(total) : new Float32Array(total);
  const out = {} as Record<K, Data>;
  let at = 0;
  for (const k of Object.keys(sizes) as K[]) {
    out[k] = block.subarray(at, at + sizes[k]);
    at += sizes[k];
  }
  return out;
}

export function cuevaLossAndGrad(cfg: CuevaModelConfig, p: CuevaParams, data: Batch, backend: Backend = getBackend()): FusedResult {
  const { steps: T, batch: B } = data;
  const N = cfg.hidden;
  const nIn = cfg.nInputs;
  const a = cfg.alpha;
  const float64 = p.wRec.dtype === 'float64';
  const tanh = float64 ? Math.tanh : fastTanh;
  const BN = B * N;
  const buf = buffers(backend, float64, { W: N * N, WT: N * N, U: (T + 1) * BN, pre: BN, g: BN, gNext: BN, gW: N * N });
  const { W, WT, U, pre, gW } = buf;
  let { g, gNext } = buf;
  W.set(p.wRec.data);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) WT[j * N + i] = W[i * N + j];
  const Win = p.wIn.data;
  const bias = p.b.data;
  const Wout = p.wOut.data;
  const { inputs, targets, noise } = data;

  // ---- forward: keep every u_t (U[t] = u_t, U[0] = 0) and the readout errors
  const x = allocate(p.wRec.dtype, BN);
  const DY = allocate(p.wRec.dtype, T * B * 2);
  let se = 0;
  let sr = 0;
  for (let t = 1; t <= T; t++) {
    backend.matmul(U.subarray((t - 1) * BN, t * BN), W, pre, 1, B, N, N, 0, 0);
    const uo = t * BN;
    for (let r = 0; r < B; r++) {
      const io = ((t - 1) * B + r) * nIn;
      const ro = r * N;
      const no = (t - 1) * BN + ro;
      let y0 = 0;
      let y1 = 0;
      for (let j = 0; j < N; j++) {
        let s = pre[ro + j] + bias[j];
        for (let q = 0; q < nIn; q++) s += inputs[io + q] * Win[q * N + j];
        if (noise) s += noise[no + j];
        const xv = (1 - a) * x[ro + j] + a * s;
        x[ro + j] = xv;
        const u = tanh(xv);
        U[uo + ro + j] = u;
        sr += u * u;
        y0 += u * Wout[j * 2];
        y1 += u * Wout[j * 2 + 1];
      }
      const to = ((t - 1) * B + r) * 2;
      const e0 = y0 - targets[to];
      const e1 = y1 - targets[to + 1];
      se += e0 * e0 + e1 * e1;
      DY[to] = e0 / (T * B);
      DY[to + 1] = e1 / (T * B);
    }
  }
  let wIn2 = 0;
  for (const v of Win) wIn2 += v * v;
  let wOut2 = 0;
  for (const v of Wout) wOut2 += v * v;
  const mse = se / (T * B * 2);
  const rateCost = (cfg.lambdaRates * sr) / (T * BN);
  const weightCost = cfg.lambdaWeights * (wIn2 / Win.length + wOut2 / Wout.length);

  // ---- backward through time, accumulating the weight gradients step by step
  const dx = x.fill(0);
  const rec = pre;
  const gWin = allocate(p.wRec.dtype, nIn * N);
  const gb = allocate(p.wRec.dtype, N);
  const gWout = allocate(p.wRec.dtype, N * 2);
  gW.fill(0);
  const rateScale = (2 * cfg.lambdaRates) / (T * BN);
  for (let t = T; t >= 1; t--) {
    if (t < T) backend.matmul(gNext, WT, rec, 1, B, N, N, 0, 0);
    else rec.fill(0);
    const uo = t * BN;
    for (let r = 0; r < B; r++) {
      const to = ((t - 1) * B + r) * 2;
      const d0 = DY[to];
      const d1 = DY[to + 1];
      const io = ((t - 1) * B + r) * nIn;
      const ro = r * N;
      for (let j = 0; j < N; j++) {
        const u = U[uo + ro + j];
        const du = d0 * Wout[j * 2] + d1 * Wout[j * 2 + 1] + rateScale * u + rec[ro + j];
        const dxv = du * (1 - u * u) + (1 - a) * dx[ro + j];
        dx[ro + j] = dxv;
        const gv = a * dxv;
        g[ro + j] = gv;
        gb[j] += gv;
        gWout[j * 2] += u * d0;
        gWout[j * 2 + 1] += u * d1;
        for (let q = 0; q < nIn; q++) gWin[q * N + j] += inputs[io + q] * gv;
      }
    }
    // dW_rec += u_{t-1}^T g_t  (u_0 = 0 adds nothing)
    if (t > 1) backend.matmulTransA(U.subarray((t - 1) * BN, t * BN), g, gW, N, B, N);
    [g, gNext] = [gNext, g];
  }
  const cIn = (2 * cfg.lambdaWeights) / Win.length;
  for (let k = 0; k < gWin.length; k++) gWin[k] += cIn * Win[k];
  const cOut = (2 * cfg.lambdaWeights) / Wout.length;
  for (let k = 0; k < gWout.length; k++) gWout[k] += cOut * Wout[k];

  return {
    loss: mse + weightCost + rateCost,
    mse,
    weightCost,
    rateCost,
    grads: [Tensor.fromData(gW.slice(), [N, N]), Tensor.fromData(gWin, [nIn, N]), Tensor.fromData(gb, [N]), Tensor.fromData(gWout, [N, 2])],
  };
}

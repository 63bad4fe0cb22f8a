/**
 * The PlaceCellRNN's loss and gradient by a fused BPTT on the tensor kernels' matrix products, its
 * forward rollout, and the same loss on the autograd tape (the oracle the tests compare against).
 * The equations are in model.ts.
 */
import { Tensor, allocate, getBackend, type Backend, type DType, type Data } from '@gridcells/tensor';
import * as ag from '@gridcells/autograd';
import { namedBuffers } from '../../backends/workspace.js';
import { placeCellSteps, type PlaceCellSteps } from './wasm-steps.js';
import type { PlaceCellBatch, PlaceCellConfig, PlaceCellParams } from './model.js';

/** The loss of a batch, its cross-entropy part, and the gradient. */
export interface PlaceCellResult {
  loss: number;
  /** The cross-entropy part of the loss. */
  crossEntropy: number;
  /** Gradients in PLACE_PARAM_NAMES order. */
  grads: Tensor[];
}

interface Forward {
  /** H[t] = h_t, t = 0..T, [T+1][B][Ng]. */
  H: Data;
  /** Logits then (in place) softmax probabilities, [T][B][Np]. */
  Y: Data;
}

/** The working set: named buffers, and the WebAssembly loops where the buffers lie in their memory. */
interface Work {
  buf: Record<string, Data>;
  steps: PlaceCellSteps | null;
}

function forwardPass(cfg: PlaceCellConfig, p: PlaceCellParams, data: PlaceCellBatch, backend: Backend, { buf, steps }: Work): Forward {
  const { steps: T, batch: B } = data;
  const G = cfg.hidden;
  const nIn = cfg.nInputs;
  const { H, Y, drive } = buf;
  const Win = p.wIn.data;
  backend.matmul(buf.start, buf.wEnc, H, 1, B, cfg.places, G, 0, 0);
  for (let t = 1; t <= T; t++) {
    const h = H.subarray(t * B * G, (t + 1) * B * G);
    backend.matmul(H.subarray((t - 1) * B * G, t * B * G), buf.wRec, drive, 1, B, G, G, 0, 0);
    if (steps) {
      steps.relu_inputs(drive.byteOffset, buf.inputs.byteOffset + 4 * (t - 1) * B * nIn, buf.wIn.byteOffset, h.byteOffset, B, G, nIn);
      continue;
    }
    for (let r = 0; r < B; r++) {
      const io = ((t - 1) * B + r) * nIn;
      for (let j = 0; j < G; j++) {
        let s = drive[r * G + j];
        for (let q = 0; q < nIn; q++) s += data.inputs[io + q] * Win[q * G + j];
        h[r * G + j] = s > 0 ? s : 0;
      }
    }
  }
  backend.matmul(H.subarray(B * G), buf.wOut, Y, 1, T * B, G, cfg.places, 0, 0);
  return { H, Y };
}

/**
 * Softmax of each of `rows` rows of P logits, in place, then the rows' cross-entropy against the
 * targets (returned, summed in order) and the logits overwritten with the loss's gradient
 * (softmax (sum c) - c) / norm. steps.wat's softmax_xent computes the same, bit for bit.
 */
function softmaxCrossEntropy(Y: Data, targets: Float32Array, rows: number, P: number, norm: number): number {
  let ce = 0;
  for (let row = 0; row < rows; row++) {
    const o = row * P;
    let max = -Infinity;
    for (let k = 0; k < P; k++) max = Math.max(max, Y[o + k]);
    let sum = 0;
    for (let k = 0; k < P; k++) sum += Math.exp(Y[o + k] - max);
    const lse = max + Math.log(sum);
    let csum = 0;
    for (let k = 0; k < P; k++) {
      const c = targets[o + k];
      ce -= c * (Y[o + k] - lse);
      csum += c;
    }
    for (let k = 0; k < P; k++) Y[o + k] = (Math.exp(Y[o + k] - lse) * csum - targets[o + k]) / norm;
  }
  return ce;
}

function transposeInto(src: ArrayLike<number>, rows: number, cols: number, out: Data): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = src[i * cols + j];
}

/**
 * The working set, in the kernels' memory where they have some; there (float32) the element-wise
 * loops run in WebAssembly (steps.wat, bit for bit the TypeScript loops) and the inputs, W_in,
 * the targets and the input weights' gradient lie beside the rest.
 */
function workBuffers(cfg: PlaceCellConfig, p: PlaceCellParams, data: PlaceCellBatch, backend: Backend, float64: boolean, backward: boolean): Work {
  const { steps: T, batch: B } = data;
  const { hidden: G, places: P, nInputs: nIn } = cfg;
  const steps = float64 || !backend.workspace ? null : placeCellSteps(backend.memory);
  const sizes: Record<string, number> = {
    start: B * P, wEnc: P * G, wRec: G * G, wOut: G * P, H: (T + 1) * B * G, Y: T * B * P, drive: B * G,
  };
  if (backward) Object.assign(sizes, { wRecT: G * G, wOutT: P * G, dH: T * B * G, dPre: T * B * G, back: B * G, gEnc: P * G, gRec: G * G, gOut: G * P, dh0: B * G });
  if (steps) Object.assign(sizes, { inputs: T * B * nIn, wIn: nIn * G }, backward ? { targets: T * B * P, gIn: nIn * G } : {});
  const buf = namedBuffers(backend, float64, sizes);
  buf.start.set(data.start);
  buf.wEnc.set(p.wEnc.data);
  buf.wRec.set(p.wRec.data);
  buf.wOut.set(p.wOut.data);
  if (steps) {
    buf.inputs.set(data.inputs);
    buf.wIn.set(p.wIn.data);
    if (backward) buf.targets.set(data.targets);
  }
  if (backward) {
    transposeInto(p.wRec.data, G, G, buf.wRecT);
    transposeInto(p.wOut.data, G, P, buf.wOutT);
    // the gradients are accumulated
    for (const k of ['gEnc', 'gRec', 'gOut', 'gIn']) buf[k]?.fill(0);
  }
  return { buf, steps: steps && buf.H.buffer === backend.memory!.buffer ? steps : null };
}

/**
 * The hidden units' activity h_1..h_T ([T][B][Ng], a copy) and the place-cell logits.
 */
export function placeCellRollout(cfg: PlaceCellConfig, p: PlaceCellParams, data: PlaceCellBatch, backend: Backend = getBackend()): { rates: Float32Array; logits: Float32Array } {
  const work = workBuffers(cfg, p, data, backend, false, false);
  const { H, Y } = forwardPass(cfg, p, data, backend, work);
  const BG = data.batch * cfg.hidden;
  return { rates: Float32Array.from(H.subarray(BG)), logits: Float32Array.from(Y) };
}

/**
 * The cross-entropy summed over some trials' steps, and its gradient (the weight decay left out),
 * normalised as part of a batch of `wholeBatch` trials: the sums over a batch's chunks, added, give
 * the batch's (placeCellLossAndGrad adds the decay). Gradients in PLACE_PARAM_NAMES order.
 */
export function placeCellPartial(cfg: PlaceCellConfig, p: PlaceCellParams, data: PlaceCellBatch, backend: Backend, wholeBatch = data.batch): { sums: number[]; grads: Data[] } {
  const float64 = p.wRec.dtype === 'float64';
  const { steps: T, batch: B } = data;
  const { hidden: G, places: P, nInputs: nIn } = cfg;
  const work = workBuffers(cfg, p, data, backend, float64, true);
  const { buf, steps } = work;
  const { H, Y } = forwardPass(cfg, p, data, backend, work);
  // softmax in place, cross-entropy, and dY = (softmax (sum c) - c) / (T B) in place (B: the whole batch)
  const TB = T * B;
  const norm = T * wholeBatch;
  const ce = steps ? steps.softmax_xent(Y.byteOffset, buf.targets.byteOffset, TB, P, norm, 0) : softmaxCrossEntropy(Y, data.targets, TB, P, norm);
  const { dH, dPre, back, wRecT, gRec, gOut, gEnc, dh0 } = buf;
  const hs = H.subarray(B * G); // h_1..h_T
  backend.matmulTransA(hs, Y, gOut, G, TB, P);
  backend.matmul(Y, buf.wOutT, dH, 1, TB, P, G, 0, 0);
  // backward through time: dpre_t = (dH_t + dpre_{t+1} W_rec^T) * [h_t > 0]
  for (let t = T; t >= 1; t--) {
    const o = (t - 1) * B * G;
    const h = H.subarray(t * B * G, (t + 1) * B * G);
    if (steps) {
      steps.relu_back(dH.byteOffset + 4 * o, back.byteOffset, t < T ? 1 : 0, h.byteOffset, dPre.byteOffset + 4 * o, B * G);
    } else {
      for (let k = 0; k < B * G; k++) {
        const g = dH[o + k] + (t < T ? back[k] : 0);
        dPre[o + k] = h[k] > 0 ? g : 0;
      }
    }
    backend.matmul(dPre.subarray(o, o + B * G), wRecT, t > 1 ? back : dh0, 1, B, G, G, 0, 0);
  }
  backend.matmulTransA(H.subarray(0, TB * G), dPre, gRec, G, TB, G);
  backend.matmulTransA(buf.start, dh0, gEnc, P, B, G);
  let gIn: Data;
  if (steps) {
    steps.input_grad(buf.inputs.byteOffset, dPre.byteOffset, buf.gIn.byteOffset, TB, G, nIn);
    gIn = buf.gIn;
  } else {
    gIn = allocate(p.wIn.dtype, nIn * G);
    for (let row = 0; row < TB; row++) {
      for (let q = 0; q < nIn; q++) {
        const v = data.inputs[row * nIn + q];
        if (v === 0) continue;
        for (let j = 0; j < G; j++) gIn[q * G + j] += v * dPre[row * G + j];
      }
    }
  }
  const copy = (d: Data) => {
    const out = allocate(p.wRec.dtype, d.length);
    out.set(d);
    return out;
  };
  return { sums: [ce], grads: [copy(gEnc), copy(gRec), copy(gIn), copy(gOut)] };
}

/** The loss and gradient of a batch from its chunks' summed partials (placeCellPartial): the decay added. */
export function placeCellFinish(cfg: PlaceCellConfig, p: PlaceCellParams, ceSum: number, grads: Data[], steps: number, batch: number): PlaceCellResult {
  const { hidden: G, places: P, nInputs: nIn } = cfg;
  const ce = ceSum / (steps * batch);
  const wRec = p.wRec.data;
  let decay = 0;
  const gRecOut = allocate(p.wRec.dtype, G * G);
  for (let k = 0; k < G * G; k++) {
    decay += wRec[k] * wRec[k];
    gRecOut[k] = grads[1][k] + 2 * cfg.weightDecay * wRec[k];
  }
  const [gEnc, , gIn, gOut] = grads;
  return {
    loss: ce + cfg.weightDecay * decay,
    crossEntropy: ce,
    grads: [Tensor.fromData(gEnc, [P, G]), Tensor.fromData(gRecOut, [G, G]), Tensor.fromData(gIn, [nIn, G]), Tensor.fromData(gOut, [G, P])],
  };
}

/** Loss and gradient by a fused BPTT (float64 when the parameters are, on the reference kernels). */
export function placeCellLossAndGrad(cfg: PlaceCellConfig, p: PlaceCellParams, data: PlaceCellBatch, backend: Backend = getBackend()): PlaceCellResult {
  const { sums, grads } = placeCellPartial(cfg, p, data, backend);
  return placeCellFinish(cfg, p, sums[0], grads, data.steps, data.batch);
}

/** The same loss through the autograd tape: the reference the fused BPTT is tested against. */
export function placeCellLossTape(cfg: PlaceCellConfig, wEnc: ag.Value, wRec: ag.Value, wIn: ag.Value, wOut: ag.Value, data: PlaceCellBatch, dtype: DType = 'float64'): ag.Var {
  const { steps: T, batch: B } = data;
  const { places: P, nInputs: nIn } = cfg;
  const slice = (d: Float32Array, t: number, width: number) => Tensor.fromData(Float64Array.from(d.subarray(t * B * width, (t + 1) * B * width)), [B, width]).astype(dtype);
  let h: ag.Value = ag.matmul(Tensor.fromData(Float64Array.from(data.start), [B, P]).astype(dtype), wEnc);
  let ce: ag.Value = Tensor.fromData(Float64Array.of(0), []).astype(dtype);
  for (let t = 0; t < T; t++) {
    h = ag.relu(ag.add(ag.matmul(h, wRec), ag.matmul(slice(data.inputs, t, nIn), wIn)));
    const y = ag.matmul(h, wOut);
    const logp = ag.sub(y, ag.logsumexp(y, 1, true));
    ce = ag.sub(ce, ag.sum(ag.mul(slice(data.targets, t, P), logp)));
  }
  const decay = ag.mul(cfg.weightDecay, ag.sum(ag.mul(wRec, wRec)));
  return ag.add(ag.div(ce, T * B), decay);
}

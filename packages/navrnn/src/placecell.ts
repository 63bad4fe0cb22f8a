/**
 * PlaceCellRNN (Sorscher, Mel, Ganguli & Ocko, NeurIPS 2019; Neuron 2023): the path-integration
 * network whose readout is a population of place cells, the set-up in which hexagonal grid cells
 * reliably emerge in the hidden units.
 *
 *   h_0 = c(p_0) W_enc                       (the start position's place code, encoded; no ReLU)
 *   h_t = relu(h_{t-1} W_rec + v_t W_in)     (velocity input, no bias)
 *   y_t = h_t W_out                          (logits over Np place cells)
 *   loss = -1/(T B) sum_t,r sum_k c_k(p_t) log softmax(y_t)_k  +  weightDecay * sum W_rec^2
 *
 * Place cells: Np centres drawn uniformly in the arena; each cell's code is a difference of
 * softmaxes (a centre of variance sigma^2 minus a surround of variance surround x sigma^2), shifted by its
 * minimum and normalised to sum 1 over cells, as in Sorscher et al.'s code (their DoG option).
 * Weights start as PyTorch's defaults do (uniform +-1/sqrt(fan-in)), the initialisation their
 * published runs used.
 *
 * The gradient is a fused BPTT (below) using the backend's matrix products; it is checked against
 * the same loss on the autograd tape (placeCellLossTape) and against finite differences.
 */
import { Rng, Tensor, allocate, getBackend, uniform, type Backend, type DType, type Data } from '@gridcells/tensor';
import * as ag from '@gridcells/autograd';
import type { Arena } from './arena.js';
import type { Trajectories } from './trajectory.js';
import { buffers } from './bptt.js';

export interface PlaceCellConfig {
  /** Hidden (grid-candidate) units Ng. */
  hidden: number;
  /** Place cells Np. */
  places: number;
  nInputs: number;
  /** Place-field width, m (Sorscher et al.: 0.12). */
  sigma: number;
  /**
   * The surround's variance as a multiple of sigma^2 (Sorscher et al.'s surround_scale: 2, so the
   * surround is sqrt(2) sigma wide); 0: no surround (a plain softmax code).
   */
  surround: number;
  /** L2 penalty on W_rec (Sorscher et al.: 1e-4). */
  weightDecay: number;
}

export interface PlaceCellParams {
  /** [Np, Ng] start position's place code -> initial state. */
  wEnc: Tensor;
  /** [Ng, Ng] */
  wRec: Tensor;
  /** [nIn, Ng] */
  wIn: Tensor;
  /** [Ng, Np] */
  wOut: Tensor;
}

export const PLACE_PARAM_NAMES = ['wEnc', 'wRec', 'wIn', 'wOut'] as const;

export function placeParamList(p: PlaceCellParams): Tensor[] {
  return PLACE_PARAM_NAMES.map((k) => p[k]);
}

/** PyTorch's default initialisation (nn.Linear, nn.RNN): uniform in +-1/sqrt(fan-in). */
export function initPlaceCellParams(cfg: PlaceCellConfig, rng: Rng, dtype: DType = 'float32'): PlaceCellParams {
  const { hidden: G, places: P, nInputs } = cfg;
  const u = (shape: number[], fanIn: number) => uniform(rng, shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), dtype);
  return { wEnc: u([P, G], P), wRec: u([G, G], G), wIn: u([nInputs, G], G), wOut: u([G, P], G) };
}

/** A population of place cells: centres and the difference-of-softmaxes code of any position. */
export class PlaceCells {
  /** [Np][2] */
  readonly centres: Float64Array;

  constructor(readonly count: number, readonly sigma: number, readonly surround: number, centres: Float64Array) {
    if (centres.length !== 2 * count) throw new Error(`PlaceCells: ${centres.length / 2} centres for ${count} cells`);
    if (!(sigma > 0)) throw new Error(`PlaceCells: sigma must be > 0, got ${sigma}`);
    this.centres = centres;
    this.scratch = new Float64Array(count);
    this.centre = new Float64Array(count);
    this.around = new Float64Array(count);
  }

  /** Centres drawn uniformly inside the arena. */
  static inArena(arena: Arena, count: number, sigma: number, surround: number, rng: Rng): PlaceCells {
    const [[x0, x1], [y0, y1]] = arena.bbox;
    const c = new Float64Array(2 * count);
    for (let k = 0; k < count; ) {
      const p: [number, number] = [x0 + (x1 - x0) * rng.uniform(), y0 + (y1 - y0) * rng.uniform()];
      if (!arena.contains(p)) continue;
      c[2 * k] = p[0];
      c[2 * k + 1] = p[1];
      k++;
    }
    return new PlaceCells(count, sigma, surround, c);
  }

  /** The same cells with the plain (centre-only) code: no surround. */
  withoutSurround(): PlaceCells {
    return new PlaceCells(this.count, this.sigma, 0, this.centres);
  }

  /** The code of one position into out[at .. at + Np). */
  codeInto(x: number, y: number, out: Data, at: number): void {
    const P = this.count;
    const d2 = this.scratch;
    let nearest = Infinity;
    for (let k = 0; k < P; k++) {
      d2[k] = (x - this.centres[2 * k]) ** 2 + (y - this.centres[2 * k + 1]) ** 2;
      if (d2[k] < nearest) nearest = d2[k];
    }
    // softmax_k(-d2_k / (2 w^2)) for the centre (w^2 = sigma^2) and the surround (w^2 = surround sigma^2),
    // both shifted by the nearest cell's distance so the largest exponent is 0
    const a1 = 1 / (2 * this.sigma ** 2);
    const a2 = this.surround > 0 ? 1 / (2 * this.surround * this.sigma ** 2) : 0;
    const e1 = this.centre;
    const e2 = this.around;
    let s1 = 0;
    let s2 = 0;
    for (let k = 0; k < P; k++) {
      const d = d2[k] - nearest;
      s1 += e1[k] = Math.exp(-d * a1);
      if (a2) s2 += e2[k] = Math.exp(-d * a2);
    }
    if (!a2) {
      for (let k = 0; k < P; k++) out[at + k] = e1[k] / s1;
      return;
    }
    // centre minus surround, shifted to non-negative and normalised (Sorscher et al.'s DoG code)
    let min = Infinity;
    for (let k = 0; k < P; k++) {
      const v = (e1[k] = e1[k] / s1 - e2[k] / s2);
      if (v < min) min = v;
    }
    let sum = 0;
    for (let k = 0; k < P; k++) sum += e1[k] - min;
    for (let k = 0; k < P; k++) out[at + k] = (e1[k] - min) / sum;
  }

  // scratch space for codeInto (distances, centre and surround terms)
  private readonly scratch: Float64Array;
  private readonly centre: Float64Array;
  private readonly around: Float64Array;

  /**
   * Position decoded from place-cell activity (Sorscher et al.): the mean centre of the k most
   * active cells, for each row of `activity` ([rows][Np]).
   */
  decode(activity: ArrayLike<number>, rows: number, k = 3): Float64Array {
    const P = this.count;
    const out = new Float64Array(rows * 2);
    const idx = Array.from({ length: P }, (_, i) => i);
    for (let r = 0; r < rows; r++) {
      const top = idx.slice().sort((a, b) => activity[r * P + b] - activity[r * P + a]).slice(0, k);
      for (const i of top) {
        out[2 * r] += this.centres[2 * i] / k;
        out[2 * r + 1] += this.centres[2 * i + 1] / k;
      }
    }
    return out;
  }
}

/** One batch for the PlaceCellRNN: inputs, the start code and the target codes. */
export interface PlaceCellBatch {
  steps: number;
  batch: number;
  /** [T][B][nIn] */
  inputs: Float32Array;
  /** [B][Np] code of each start position. */
  start: Float32Array;
  /** [T][B][Np] code of the position after each step. */
  targets: Float32Array;
}

/**
 * `targetCells` (default: `cells`) may code the targets differently from the start (a curriculum
 * that trains on the plain code first keeps the start's code fixed, so the encoder's input does
 * not change under it).
 */
export function placeCellBatch(cells: PlaceCells, tr: Trajectories, targetCells: PlaceCells = cells): PlaceCellBatch {
  const { steps: T, batch: B } = tr;
  const P = cells.count;
  if (targetCells.count !== P) throw new Error(`placeCellBatch: ${P} start cells but ${targetCells.count} target cells`);
  const start = new Float32Array(B * P);
  const targets = new Float32Array(T * B * P);
  for (let r = 0; r < B; r++) cells.codeInto(tr.positions[2 * r], tr.positions[2 * r + 1], start, r * P);
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < B; r++) {
      const pi = ((t + 1) * B + r) * 2;
      targetCells.codeInto(tr.positions[pi], tr.positions[pi + 1], targets, (t * B + r) * P);
    }
  }
  return { steps: T, batch: B, inputs: tr.inputs, start, targets };
}

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

function forwardPass(cfg: PlaceCellConfig, p: PlaceCellParams, data: PlaceCellBatch, backend: Backend, buf: Record<string, Data>): Forward {
  const { steps: T, batch: B } = data;
  const G = cfg.hidden;
  const nIn = cfg.nInputs;
  const { H, Y, drive } = buf;
  const Win = p.wIn.data;
  backend.matmul(buf.start, buf.wEnc, H, 1, B, cfg.places, G, 0, 0);
  for (let t = 1; t <= T; t++) {
    const h = H.subarray(t * B * G, (t + 1) * B * G);
    backend.matmul(H.subarray((t - 1) * B * G, t * B * G), buf.wRec, drive, 1, B, G, G, 0, 0);
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

function transposeInto(src: ArrayLike<number>, rows: number, cols: number, out: Data): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = src[i * cols + j];
}

function workBuffers(cfg: PlaceCellConfig, p: PlaceCellParams, data: PlaceCellBatch, backend: Backend, float64: boolean, backward: boolean): Record<string, Data> {
  const { steps: T, batch: B } = data;
  const { hidden: G, places: P } = cfg;
  const sizes: Record<string, number> = {
    start: B * P, wEnc: P * G, wRec: G * G, wOut: G * P, H: (T + 1) * B * G, Y: T * B * P, drive: B * G,
  };
  if (backward) Object.assign(sizes, { wRecT: G * G, wOutT: P * G, dH: T * B * G, dPre: T * B * G, back: B * G, gEnc: P * G, gRec: G * G, gOut: G * P, dh0: B * G });
  const buf = buffers(backend, float64, sizes);
  buf.start.set(data.start);
  buf.wEnc.set(p.wEnc.data);
  buf.wRec.set(p.wRec.data);
  buf.wOut.set(p.wOut.data);
  if (backward) {
    transposeInto(p.wRec.data, G, G, buf.wRecT);
    transposeInto(p.wOut.data, G, P, buf.wOutT);
    for (const k of ['gEnc', 'gRec', 'gOut']) buf[k].fill(0);
  }
  return buf;
}

/**
 * The hidden units' activity h_1..h_T ([T][B][Ng], a copy) and the place-cell logits.
 */
export function placeCellRollout(cfg: PlaceCellConfig, p: PlaceCellParams, data: PlaceCellBatch, backend: Backend = getBackend()): { rates: Float32Array; logits: Float32Array } {
  const buf = workBuffers(cfg, p, data, backend, false, false);
  const { H, Y } = forwardPass(cfg, p, data, backend, buf);
  const BG = data.batch * cfg.hidden;
  return { rates: Float32Array.from(H.subarray(BG)), logits: Float32Array.from(Y) };
}

/** Loss and gradient by a fused BPTT (float64 when the parameters are, on the reference kernels). */
export function placeCellLossAndGrad(cfg: PlaceCellConfig, p: PlaceCellParams, data: PlaceCellBatch, backend: Backend = getBackend()): PlaceCellResult {
  const float64 = p.wRec.dtype === 'float64';
  const { steps: T, batch: B } = data;
  const { hidden: G, places: P, nInputs: nIn } = cfg;
  const buf = workBuffers(cfg, p, data, backend, float64, true);
  const { H, Y } = forwardPass(cfg, p, data, backend, buf);
  // softmax in place, cross-entropy, and dY = (softmax (sum c) - c) / (T B) in place
  const TB = T * B;
  let ce = 0;
  for (let row = 0; row < TB; row++) {
    const o = row * P;
    let max = -Infinity;
    for (let k = 0; k < P; k++) max = Math.max(max, Y[o + k]);
    let sum = 0;
    for (let k = 0; k < P; k++) sum += Math.exp(Y[o + k] - max);
    const lse = max + Math.log(sum);
    let csum = 0;
    for (let k = 0; k < P; k++) {
      const c = data.targets[o + k];
      ce -= c * (Y[o + k] - lse);
      csum += c;
    }
    for (let k = 0; k < P; k++) Y[o + k] = (Math.exp(Y[o + k] - lse) * csum - data.targets[o + k]) / TB;
  }
  ce /= TB;
  const { dH, dPre, back, wRecT, gRec, gOut, gEnc, dh0 } = buf;
  const hs = H.subarray(B * G); // h_1..h_T
  backend.matmulTransA(hs, Y, gOut, G, TB, P);
  backend.matmul(Y, buf.wOutT, dH, 1, TB, P, G, 0, 0);
  // backward through time: dpre_t = (dH_t + dpre_{t+1} W_rec^T) * [h_t > 0]
  for (let t = T; t >= 1; t--) {
    const o = (t - 1) * B * G;
    const h = H.subarray(t * B * G, (t + 1) * B * G);
    for (let k = 0; k < B * G; k++) {
      const g = dH[o + k] + (t < T ? back[k] : 0);
      dPre[o + k] = h[k] > 0 ? g : 0;
    }
    backend.matmul(dPre.subarray(o, o + B * G), wRecT, t > 1 ? back : dh0, 1, B, G, G, 0, 0);
  }
  backend.matmulTransA(H.subarray(0, TB * G), dPre, gRec, G, TB, G);
  backend.matmulTransA(buf.start, dh0, gEnc, P, B, G);
  const gIn = allocate(p.wIn.dtype, nIn * G);
  for (let row = 0; row < TB; row++) {
    for (let q = 0; q < nIn; q++) {
      const v = data.inputs[row * nIn + q];
      if (v === 0) continue;
      for (let j = 0; j < G; j++) gIn[q * G + j] += v * dPre[row * G + j];
    }
  }
  const wRec = p.wRec.data;
  let decay = 0;
  const gRecOut = allocate(p.wRec.dtype, G * G);
  for (let k = 0; k < G * G; k++) {
    decay += wRec[k] * wRec[k];
    gRecOut[k] = gRec[k] + 2 * cfg.weightDecay * wRec[k];
  }
  const dtype = p.wRec.dtype;
  const copy = (d: Data, shape: number[]) => {
    const out = allocate(dtype, d.length);
    out.set(d);
    return Tensor.fromData(out, shape);
  };
  return {
    loss: ce + cfg.weightDecay * decay,
    crossEntropy: ce,
    grads: [copy(gEnc, [P, G]), Tensor.fromData(gRecOut, [G, G]), Tensor.fromData(gIn, [nIn, G]), copy(gOut, [G, P])],
  };
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

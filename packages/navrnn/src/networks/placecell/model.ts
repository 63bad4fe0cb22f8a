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
 * The gradient is a fused BPTT (bptt.ts) using the backend's matrix products; it is checked against
 * the same loss on the autograd tape (placeCellLossTape) and against finite differences.
 */
import { Rng, Tensor, uniform, type DType, type Data } from '@gridcells/tensor';
import type { Arena } from '../../world/arena.js';
import { positionsAfterSteps, type Trajectories } from '../../world/trajectory.js';
import { wasmCodes } from './wasm-steps.js';

/** The PlaceCellRNN's sizes and loss settings. */
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

/** The PlaceCellRNN's weights. */
export type PlaceCellParams = {
  /** [Np, Ng] start position's place code -> initial state. */
  wEnc: Tensor;
  /** [Ng, Ng] */
  wRec: Tensor;
  /** [nIn, Ng] */
  wIn: Tensor;
  /** [Ng, Np] */
  wOut: Tensor;
};

/** The weights' names in their fixed order (gradients, optimizer state, checkpoints). */
export const PLACE_PARAM_NAMES = ['wEnc', 'wRec', 'wIn', 'wOut'] as const;

/** The weights' shapes by name, in PLACE_PARAM_NAMES order. */
export function placeCellShapes(m: PlaceCellConfig): Record<keyof PlaceCellParams, number[]> {
  return { wEnc: [m.places, m.hidden], wRec: [m.hidden, m.hidden], wIn: [m.nInputs, m.hidden], wOut: [m.hidden, m.places] };
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

  /**
   * The softmaxes' factors a = 1 / (2 w^2): the centre's (w^2 = sigma^2) and the surround's
   * (w^2 = surround sigma^2; 0 without one).
   */
  private widths(): [number, number] {
    return [1 / (2 * this.sigma ** 2), this.surround > 0 ? 1 / (2 * this.surround * this.sigma ** 2) : 0];
  }

  /**
   * The codes of `count` positions (x, y pairs in `xy`) into rows at, at + 1, ... of `out`: what
   * codeInto writes for each, in WebAssembly where it runs (its exp is Math.exp's, bit for bit).
   */
  codesInto(xy: ArrayLike<number>, count: number, out: Data, at = 0): void {
    const [a1, a2] = this.widths();
    if (out instanceof Float32Array && wasmCodes(this.centres, xy, count, out, at, a1, a2)) return;
    for (let r = 0; r < count; r++) this.codeInto(xy[2 * r], xy[2 * r + 1], out, (at + r) * this.count);
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
    // softmax_k(-d2_k a) for the centre and the surround, both shifted by the nearest cell's
    // distance so the largest exponent is 0
    const [a1, a2] = this.widths();
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
 * Trials before their place codes: the inputs and the positions ([T + 1][B][2], starts first). A
 * training step's batch stays in this form until the chunk that computes its loss codes it, so
 * the codes are made by every thread, not one.
 */
export type PlaceCellTrials = Pick<Trajectories, 'steps' | 'batch' | 'inputs' | 'positions'>;

/**
 * The batch's codes: the start positions in `cells`' code, the positions after each step in
 * `targetCells`' (default: `cells`; a curriculum that trains on the plain code first keeps the
 * start's code fixed, so the encoder's input does not change under it).
 */
export function placeCellBatch(cells: PlaceCells, tr: PlaceCellTrials, targetCells: PlaceCells = cells): PlaceCellBatch {
  const { steps: T, batch: B } = tr;
  const P = cells.count;
  if (targetCells.count !== P) throw new Error(`placeCellBatch: ${P} start cells but ${targetCells.count} target cells`);
  const start = new Float32Array(B * P);
  const targets = new Float32Array(T * B * P);
  cells.codesInto(tr.positions, B, start);
  targetCells.codesInto(positionsAfterSteps(tr), T * B, targets);
  return { steps: T, batch: B, inputs: tr.inputs, start, targets };
}


/**
 * First-order optimizers that update parameter tensors in place, and global gradient-norm
 * clipping. Their state is plain data (`state()` / `loadState()`), so a checkpoint can save it
 * and a resumed run continues bit-identically.
 */
import { Tensor, ShapeError, ValueError, fmtShape, sameShape, type Data } from '@gridcells/tensor';

/** Serialisable optimizer state: counters and one flat number array per parameter and slot. */
export interface OptimizerState {
  kind: string;
  step: number;
  slots: Record<string, number[][]>;
}

/** A first-order optimizer: updates parameters in place from gradients, with savable state. */
export interface Optimizer {
  readonly kind: string;
  lr: number;
  /** Applies one update to `params` (in place) from `grads` (same shapes, same order). */
  step(params: Tensor[], grads: Tensor[]): void;
  state(): OptimizerState;
  loadState(state: OptimizerState): void;
}

function checkPairs(params: Tensor[], grads: Tensor[], op: string): void {
  if (params.length !== grads.length) throw new ShapeError(`${op}: ${params.length} parameters but ${grads.length} gradients`);
  params.forEach((p, i) => {
    if (!sameShape(p.shape, grads[i].shape)) {
      throw new ShapeError(`${op}: parameter ${i} has shape ${fmtShape(p.shape)} but its gradient ${fmtShape(grads[i].shape)}`);
    }
    if (!p.isContiguous) throw new ShapeError(`${op}: parameter ${i} must be contiguous to be updated in place`);
  });
}

function checkRate(lr: number, what = 'learning rate'): number {
  if (!Number.isFinite(lr) || lr < 0) throw new ValueError(`optimizer: ${what} must be a finite number >= 0, got ${lr}`);
  return lr;
}

function saveSlots(slots: Float64Array[][], names: string[]): Record<string, number[][]> {
  return Object.fromEntries(names.map((n, i) => [n, slots[i].map((a) => Array.from(a))]));
}

function loadSlot(state: OptimizerState, name: string, kind: string): Float64Array[] {
  if (state.kind !== kind) throw new ValueError(`optimizer: state is for '${state.kind}', not '${kind}'`);
  const s = state.slots[name];
  if (!Array.isArray(s)) throw new ValueError(`optimizer: state has no '${name}' slot`);
  return s.map((a) => Float64Array.from(a));
}

/** SGD with classical (heavy-ball) momentum: v <- mu v + g; p <- p - lr v. */
export class SGD implements Optimizer {
  readonly kind = 'sgd';
  lr: number;
  readonly momentum: number;
  private t = 0;
  private velocity: Float64Array[] = [];

  constructor(opts: { lr: number; momentum?: number }) {
    this.lr = checkRate(opts.lr);
    this.momentum = checkRate(opts.momentum ?? 0, 'momentum');
  }

  step(params: Tensor[], grads: Tensor[]): void {
    checkPairs(params, grads, 'SGD.step');
    if (this.velocity.length === 0) this.velocity = params.map((p) => new Float64Array(p.size));
    params.forEach((p, i) => {
      const w = p.data;
      const g = grads[i].data;
      const v = this.velocity[i];
      for (let k = 0; k < w.length; k++) {
        v[k] = this.momentum * v[k] + g[k];
        w[k] -= this.lr * v[k];
      }
    });
    this.t++;
  }

  state(): OptimizerState {
    return { kind: this.kind, step: this.t, slots: saveSlots([this.velocity], ['velocity']) };
  }

  loadState(state: OptimizerState): void {
    this.velocity = loadSlot(state, 'velocity', this.kind);
    this.t = state.step;
  }
}

/**
 * Adam (Kingma & Ba 2015) with bias correction:
 *   m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
 *   p <- p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
 * Moments are kept in float64 so a restored state continues exactly.
 */
export class Adam implements Optimizer {
  readonly kind = 'adam';
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private t = 0;
  private m: Float64Array[] = [];
  private v: Float64Array[] = [];

  constructor(opts: { lr?: number; beta1?: number; beta2?: number; eps?: number } = {}) {
    this.lr = checkRate(opts.lr ?? 1e-3);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const [name, b] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new ValueError(`Adam: ${name} must be in [0, 1), got ${b}`);
    }
  }

  step(params: Tensor[], grads: Tensor[]): void {
    checkPairs(params, grads, 'Adam.step');
    if (this.m.length === 0) {
      this.m = params.map((p) => new Float64Array(p.size));
      this.v = params.map((p) => new Float64Array(p.size));
    }
    this.t++;
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    params.forEach((p, i) => adamUpdate(p.data, grads[i].data, this.m[i], this.v[i], this.beta1, this.beta2, this.lr, this.eps, c1, c2));
  }

  state(): OptimizerState {
    return { kind: this.kind, step: this.t, slots: saveSlots([this.m, this.v], ['m', 'v']) };
  }

  loadState(state: OptimizerState): void {
    this.m = loadSlot(state, 'm', this.kind);
    this.v = loadSlot(state, 'v', this.kind);
    this.t = state.step;
  }
}

/**
 * One Adam update of one weight array in place, with the bias corrections c1 = 1 - b1^t and
 * c2 = 1 - b2^t. The settings are arguments, not fields, so the loop reads nothing but the arrays.
 */
function adamUpdate(w: Data, g: Data, m: Float64Array, v: Float64Array, b1: number, b2: number, lr: number, eps: number, c1: number, c2: number): void {
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  for (let k = 0; k < w.length; k++) {
    const gk = g[k];
    const mk = (m[k] = b1 * m[k] + a1 * gk);
    const vk = (v[k] = b2 * v[k] + a2 * gk * gk);
    w[k] -= (lr * (mk / c1)) / (Math.sqrt(vk / c2) + eps);
  }
}

/** The L2 norm of all gradients together. */
export function globalNorm(grads: Tensor[]): number {
  let s = 0;
  for (const { data } of grads) for (let k = 0; k < data.length; k++) s += data[k] * data[k];
  return Math.sqrt(s);
}

/**
 * Scales all gradients by min(1, maxNorm / ||g||) (global-norm clipping, as PyTorch's
 * `clip_grad_norm_`). Returns the clipped gradients and the norm before clipping.
 */
export function clipGradNorm(grads: Tensor[], maxNorm: number): { grads: Tensor[]; norm: number } {
  if (!(maxNorm > 0)) throw new ValueError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const norm = globalNorm(grads);
  if (!(norm > maxNorm)) return { grads, norm };
  const scale = maxNorm / (norm + 1e-6);
  return {
    grads: grads.map((g) => {
      const d = g.data.slice();
      for (let k = 0; k < d.length; k++) d[k] *= scale;
      return Tensor.fromData(d, g.shape);
    }),
    norm,
  };
}

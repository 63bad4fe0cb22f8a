/**
 * Gauss-Newton curvature products for weighted least-squares losses, built on the autograd
 * transforms: for loss(theta) = sum w (z(theta) - t)^2 + sum_i c_i ||theta_i||^2,
 *   G v = J^T (2 w . (J v)) + 2 c_i v_i,
 * with J v from one forward-mode `jvp` and J^T u from one reverse-mode `vjp` (no explicit J).
 * Structural damping (Martens & Sutskever 2011) adds mu J_s^T (w_s . J_s v) for hidden states s.
 * This generic system is the reference; a model may supply a fused `CurvatureSystem` instead.
 */
import { Tensor, full, sameShape, type DType } from '@gridcells/tensor';
import { Var } from './var.js';
import { jvp, vjp } from './transforms.js';
import type { CurvatureSystem } from './hessian-free.js';

/** Concatenates tensors into one float64 vector. */
export function flatten(ts: Tensor[]): Float64Array {
  const out = new Float64Array(ts.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of ts) {
    out.set(t.data, at);
    at += t.size;
  }
  return out;
}

/** Splits a flat vector into tensors of the given shapes. */
export function unflatten(v: Float64Array, shapes: number[][], dtype: DType = 'float64'): Tensor[] {
  let at = 0;
  return shapes.map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    const d = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    d.set(v.subarray(at, at + n));
    at += n;
    return Tensor.fromData(d, s);
  });
}

/** One least-squares term of a loss: weighted squared differences between outputs and targets. */
export interface LeastSquaresTerm {
  /** The model's outputs z(theta) for this batch. */
  outputs: (...params: Var[]) => Var | Tensor;
  targets: Tensor;
  /** Per-entry weights w (a number for all). */
  weights: Tensor | number;
}

/** A loss made of least-squares terms (plus optional L2 penalties) on flat parameters of these shapes. */
export interface LeastSquaresSpec {
  shapes: number[][];
  dtype?: DType;
  /** The loss's least-squares terms on the gradient batch. */
  terms: LeastSquaresTerm[];
  /** The same terms on the curvature batch (default: the gradient batch's). */
  curvatureTerms?: LeastSquaresTerm[];
  /** Coefficients c_i of the L2 terms c_i ||theta_i||^2 (default 0). */
  l2?: number[];
  /** Hidden states and their weights for structural damping (on the curvature batch). */
  structural?: LeastSquaresTerm;
  batchSize?: number;
}

function weightsOf(term: LeastSquaresTerm, shape: number[], dtype: DType): Tensor {
  if (typeof term.weights === 'number') return full(shape, term.weights, dtype);
  if (!sameShape(term.weights.shape, shape)) throw new Error(`leastSquaresSystem: weights of shape [${term.weights.shape}] for outputs of shape [${shape}]`);
  return term.weights;
}

/**
 * The curvature system of a least-squares loss for Hessian-free: loss, gradient and exact
 * Gauss-Newton products J^T W J v (one jvp, one vjp), never forming a matrix.
 */
export function leastSquaresSystem(spec: LeastSquaresSpec): CurvatureSystem {
  const dtype = spec.dtype ?? 'float64';
  const params = (theta: Float64Array) => unflatten(theta, spec.shapes, dtype);
  const l2 = spec.l2 ?? spec.shapes.map(() => 0);
  const sizes = spec.shapes.map((s) => s.reduce((a, b) => a * b, 1));

  const lossAt = (theta: Float64Array): number => {
    const ps = params(theta);
    let f = 0;
    for (const term of spec.terms) {
      const z = term.outputs(...ps.map((p) => new Var(p))) as Var | Tensor;
      const zt = z instanceof Var ? z.value : z;
      const w = weightsOf(term, zt.shape, dtype).data;
      const t = term.targets.data;
      const zd = zt.data;
      for (let i = 0; i < zd.length; i++) f += w[i] * (zd[i] - t[i]) ** 2;
    }
    let at = 0;
    ps.forEach((_, i) => {
      for (let k = 0; k < sizes[i]; k++) f += l2[i] * theta[at + k] ** 2;
      at += sizes[i];
    });
    return f;
  };

  const gnTerm = (ps: Tensor[], tangents: Tensor[], term: LeastSquaresTerm, scale: number, into: Float64Array) => {
    const { out, tangent } = jvp((...xs: Var[]) => term.outputs(...xs) as Var, ps, tangents);
    const w = weightsOf(term, out.shape, dtype).data;
    const u = new Float64Array(tangent.size);
    const jv = tangent.data;
    for (let i = 0; i < u.length; i++) u[i] = 2 * scale * w[i] * jv[i];
    const back = vjp((...xs: Var[]) => term.outputs(...xs) as Var, ps).pullback(Tensor.fromData(dtype === 'float64' ? u : Float32Array.from(u), out.shape));
    const flat = flatten(back);
    for (let i = 0; i < into.length; i++) into[i] += flat[i];
  };

  return {
    batchSize: spec.batchSize,
    loss: lossAt,
    lossAndGradient(theta) {
      const ps = params(theta);
      const grad = new Float64Array(theta.length);
      for (const term of spec.terms) {
        const { out, pullback } = vjp((...xs: Var[]) => term.outputs(...xs) as Var, ps);
        const w = weightsOf(term, out.shape, dtype).data;
        const t = term.targets.data;
        const r = new Float64Array(out.size);
        for (let i = 0; i < r.length; i++) r[i] = 2 * w[i] * (out.data[i] - t[i]);
        const g = flatten(pullback(Tensor.fromData(dtype === 'float64' ? r : Float32Array.from(r), out.shape)));
        for (let i = 0; i < grad.length; i++) grad[i] += g[i];
      }
      let at = 0;
      ps.forEach((_, i) => {
        for (let k = 0; k < sizes[i]; k++) grad[at + k] += 2 * l2[i] * theta[at + k];
        at += sizes[i];
      });
      return { loss: lossAt(theta), gradient: grad };
    },
    curvatureProduct(theta, v, structural) {
      const ps = params(theta);
      const tv = unflatten(v, spec.shapes, dtype);
      const out = new Float64Array(theta.length);
      for (const term of spec.curvatureTerms ?? spec.terms) gnTerm(ps, tv, term, 1, out);
      if (structural > 0 && spec.structural) gnTerm(ps, tv, spec.structural, structural / 2, out);
      let at = 0;
      spec.shapes.forEach((_, i) => {
        for (let k = 0; k < sizes[i]; k++) out[at + k] += 2 * l2[i] * v[at + k];
        at += sizes[i];
      });
      return out;
    },
  };
}

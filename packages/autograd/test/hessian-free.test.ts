/**
 * Hessian-free pieces: Gauss-Newton products equal an explicit Gauss-Newton matrix times v; CG
 * decreases its quadratic model monotonically; HF solves linear least squares in a few outer
 * iterations; a saved and restored optimizer continues identically.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Rng, Tensor, normal } from '@gridcells/tensor';
import * as ag from '@gridcells/autograd';
import { HessianFree, conjugateGradient, leastSquaresSystem, flatten, unflatten, jvp, vjp, type Var } from '@gridcells/autograd';

/** A small tanh network z = tanh(X W1 + b) W2, with outputs weighted per entry. */
function smallModel(seed: number, nIn: number, nHid: number, nOut: number, batch: number) {
  const rng = new Rng(seed);
  const X = normal(rng, [batch, nIn], 0, 1, 'float64');
  const shapes = [[nIn, nHid], [nHid], [nHid, nOut]];
  const theta = flatten([normal(rng, shapes[0], 0, 0.7, 'float64'), normal(rng, shapes[1], 0, 0.3, 'float64'), normal(rng, shapes[2], 0, 0.7, 'float64')]);
  const outputs = (W1: Var, b: Var, W2: Var) => ag.matmul(ag.tanh(ag.add(ag.matmul(X, W1), b)), W2);
  const targets = normal(rng, [batch, nOut], 0, 1, 'float64');
  const weights = ag.valueOf(normal(rng, [batch, nOut], 0, 1, 'float64')).data.map((v) => 0.1 + v * v) as Float64Array;
  return { shapes, theta, outputs, targets, weights: Tensor.fromData(weights, [batch, nOut]), rng };
}

describe('Gauss-Newton products', () => {
  it('G v = J^T diag(2w) J v + 2 c v, with J built column by column (forward mode) and row by row (reverse mode)', () => {
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }),
      (seed, nIn, nHid, nOut, batch) => {
        const m = smallModel(seed, nIn, nHid, nOut, batch);
        const l2 = [0.01, 0, 0.02];
        const sys = leastSquaresSystem({ shapes: m.shapes, terms: [{ outputs: m.outputs, targets: m.targets, weights: m.weights }], l2 });
        const P = m.theta.length;
        const M = batch * nOut;
        const ps = unflatten(m.theta, m.shapes);
        // J by forward mode: column k = J e_k
        const Jf: number[][] = Array.from({ length: M }, () => new Array(P).fill(0));
        for (let k = 0; k < P; k++) {
          const e = new Float64Array(P);
          e[k] = 1;
          const col = jvp(m.outputs as (...x: Var[]) => Var, ps, unflatten(e, m.shapes)).tangent.data;
          for (let i = 0; i < M; i++) Jf[i][k] = col[i];
        }
        // J by reverse mode: row i = J^T e_i
        const { out, pullback } = vjp(m.outputs as (...x: Var[]) => Var, ps);
        const Jr: number[][] = [];
        for (let i = 0; i < M; i++) {
          const e = new Float64Array(M);
          e[i] = 1;
          Jr.push(Array.from(flatten(pullback(Tensor.fromData(e, out.shape)))));
        }
        for (let i = 0; i < M; i++) for (let k = 0; k < P; k++) expect(Math.abs(Jf[i][k] - Jr[i][k])).toBeLessThan(1e-12);
        // explicit G = J^T diag(2w) J + diag(2c)
        const w = m.weights.data;
        const cOf = (k: number) => (k < nIn * nHid ? l2[0] : k < nIn * nHid + nHid ? l2[1] : l2[2]);
        const v = flatten([normal(m.rng, [P], 0, 1, 'float64')]);
        const explicit = new Float64Array(P);
        for (let a = 0; a < P; a++) {
          let s = 2 * cOf(a) * v[a];
          for (let i = 0; i < M; i++) {
            let jv = 0;
            for (let k = 0; k < P; k++) jv += Jf[i][k] * v[k];
            s += Jr[i][a] * 2 * w[i] * jv;
          }
          explicit[a] = s;
        }
        const product = sys.curvatureProduct(m.theta, v, 0);
        let num = 0, den = 0;
        for (let a = 0; a < P; a++) {
          num = Math.max(num, Math.abs(product[a] - explicit[a]));
          den = Math.max(den, Math.abs(explicit[a]));
        }
        expect(num / den).toBeLessThan(1e-8);
      }), { numRuns: 15 });
  });

  it('the Jacobian agrees with finite differences (an independent check of J itself)', () => {
    const m = smallModel(3, 3, 4, 2, 3);
    const ps = unflatten(m.theta, m.shapes);
    const f = (theta: Float64Array) => {
      const [W1, b, W2] = unflatten(theta, m.shapes).map((t) => new ag.Var(t));
      return m.outputs(W1, b, W2).value.data;
    };
    for (let k = 0; k < m.theta.length; k++) {
      const e = new Float64Array(m.theta.length);
      e[k] = 1;
      const col = jvp(m.outputs as (...x: Var[]) => Var, ps, unflatten(e, m.shapes)).tangent.data;
      const h = 1e-6;
      const plus = Float64Array.from(m.theta);
      const minus = Float64Array.from(m.theta);
      plus[k] += h;
      minus[k] -= h;
      const fp = f(plus);
      const fm = f(minus);
      col.forEach((c, i) => expect(Math.abs(c - (fp[i] - fm[i]) / (2 * h))).toBeLessThan(1e-7));
    }
  });
});

describe('conjugate gradient', () => {
  it('decreases the quadratic model monotonically on random convex problems (with and without a preconditioner)', () => {
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 2, max: 30 }), fc.boolean(), (seed, n, precondition) => {
      const rng = new Rng(seed);
      const R = normal(rng, [n, n], 0, 1, 'float64').data;
      const A = (v: Float64Array) => {
        // A = R^T R + 0.1 I, applied without forming it
        const Rv = new Float64Array(n);
        for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) Rv[i] += R[i * n + k] * v[k];
        const out = new Float64Array(n);
        for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) out[k] += R[i * n + k] * Rv[i];
        for (let k = 0; k < n; k++) out[k] += 0.1 * v[k];
        return out;
      };
      const b = Float64Array.from(normal(rng, [n], 0, 1, 'float64').data);
      const diag = new Float64Array(n).map((_, k) => 0.1 + Array.from({ length: n }, (_, i) => R[i * n + k] ** 2).reduce((s, x) => s + x, 0));
      const r = conjugateGradient(A, b, new Float64Array(n), { maxIterations: 3 * n, preconditioner: precondition ? diag : undefined });
      for (let i = 1; i < r.phi.length; i++) expect(r.phi[i]).toBeLessThanOrEqual(r.phi[i - 1] + 1e-12 * Math.abs(r.phi[i - 1]));
      expect(r.phi.at(-1)!).toBeLessThan(0);
    }), { numRuns: 40 });
  });
});

describe('HessianFree', () => {
  function linearProblem(seed: number, m: number, n: number) {
    const rng = new Rng(seed);
    const A = normal(rng, [m, n], 0, 1, 'float64');
    const t = normal(rng, [m, 1], 0, 1, 'float64');
    return leastSquaresSystem({ shapes: [[n, 1]], terms: [{ outputs: (x: Var) => ag.matmul(A, x), targets: t, weights: 1 }] });
  }

  it('solves linear least squares in at most 3 outer iterations (gradient ~ 0)', () => {
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 2, max: 12 }), (seed, n) => {
      const sys = linearProblem(seed, n + 5, n);
      const hf = new HessianFree({ damping: 1e-6, maxCgIterations: 200 });
      let theta: Float64Array = new Float64Array(n);
      const g0 = Math.hypot(...sys.lossAndGradient(theta).gradient);
      for (let it = 0; it < 3; it++) theta = hf.step(sys, theta).theta;
      const g = Math.hypot(...sys.lossAndGradient(theta).gradient);
      expect(g / g0).toBeLessThan(1e-6);
    }), { numRuns: 15 });
  });

  it('a saved-and-restored optimizer continues identically to one that never stopped', () => {
    const m = smallModel(8, 3, 5, 2, 6);
    const sys = leastSquaresSystem({ shapes: m.shapes, terms: [{ outputs: m.outputs, targets: m.targets, weights: m.weights }] });
    const straight = new HessianFree({ damping: 0.5, maxCgIterations: 20 });
    let a: Float64Array = Float64Array.from(m.theta);
    for (let i = 0; i < 4; i++) a = straight.step(sys, a).theta;
    const first = new HessianFree({ damping: 0.5, maxCgIterations: 20 });
    let b: Float64Array = Float64Array.from(m.theta);
    for (let i = 0; i < 2; i++) b = first.step(sys, b).theta;
    const resumed = new HessianFree({ damping: 0.5, maxCgIterations: 20 });
    resumed.loadState(JSON.parse(JSON.stringify(first.state())));
    for (let i = 0; i < 2; i++) b = resumed.step(sys, b).theta;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('reduces the loss of a nonlinear least-squares problem and adapts its damping', () => {
    const m = smallModel(4, 3, 6, 2, 20);
    const sys = leastSquaresSystem({ shapes: m.shapes, terms: [{ outputs: m.outputs, targets: m.targets, weights: m.weights }] });
    const hf = new HessianFree({ damping: 1, maxCgIterations: 50 });
    let theta: Float64Array = Float64Array.from(m.theta);
    const f0 = sys.loss(theta);
    const dampings: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = hf.step(sys, theta);
      expect(r.info.newLoss).toBeLessThanOrEqual(r.info.loss);
      dampings.push(r.info.damping);
      theta = r.theta;
    }
    expect(sys.loss(theta)).toBeLessThan(0.5 * f0);
    expect(new Set(dampings).size).toBeGreaterThan(1);
  });
});

/**
 * Gradient checking in the style of HIPS autograd / JAX `check_grads`: compare reverse mode,
 * forward mode and central finite differences along random directions, in float64.
 *
 * For random u (input direction) and v (output direction):
 *   reverse:  <u, J^T v>     forward:  <J u, v>     numeric:  <(f(x + eps u) - f(x - eps u)) / 2 eps, v>
 * All three must agree. When they do not, every coordinate of J^T v is checked against its own
 * central difference and the worst one is reported (argument, index, analytic, numeric).
 */
import { Tensor, Rng, normal, dot, add, mul, sub, stridesOf } from '@gridcells/tensor';
import { Var } from './var.js';
import { vjp, jvp } from './transforms.js';

/** Tolerances, step and number of random directions of `checkGrads`. */
export interface CheckGradsOptions {
  /** Finite-difference step (default 1e-6, relative to the values' scale). */
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Random directions to try (default 3). */
  directions?: number;
  seed?: number;
  /** Always check every coordinate (default: only when a direction fails, up to 20,000 coordinates). */
  coordinates?: boolean;
}

/** The coordinate where reverse mode and finite differences disagree most. */
export interface WorstCoordinate {
  arg: number;
  index: number[];
  analytic: number;
  numeric: number;
  error: number;
}

/** What `checkGrads` found: ok, per-direction inner products, the worst coordinate, a message. */
export interface CheckGradsReport {
  ok: boolean;
  /** Per direction: the three inner products. */
  directions: { reverse: number; forward: number; numeric: number }[];
  worst?: WorstCoordinate;
  message: string;
}

function close(a: number, b: number, rtol: number, atol: number): boolean {
  return Math.abs(a - b) <= atol + rtol * Math.max(Math.abs(a), Math.abs(b));
}

function unravel(flat: number, shape: number[]): number[] {
  const st = stridesOf(shape);
  return shape.map((_, i) => Math.floor(flat / st[i]) % shape[i]);
}

/**
 * Checks a function's gradients three ways along random directions: reverse mode (vjp), forward
 * mode (jvp) and central finite differences must agree within the tolerances.
 *
 * @example expect(checkGrads((x) => ag.sum(ag.tanh(x)), [normal(rng, [3], 0, 1, 'float64')]).ok).toBe(true)
 */
export function checkGrads(
  f: (...xs: Var[]) => Var | Tensor,
  args: Tensor[],
  opts: CheckGradsOptions = {},
): CheckGradsReport {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-7, directions = 3, seed = 0 } = opts;
  const rng = new Rng(seed);
  const x = args.map((a) => a.astype('float64'));
  const { out, pullback } = vjp(f, x);
  const scalarAt = (xs: Tensor[], v: Tensor) => dot(vjp(f, xs).out.astype('float64'), v);
  const results: CheckGradsReport['directions'] = [];
  let ok = true;
  let lastV: Tensor | null = null;
  for (let d = 0; d < directions; d++) {
    const v = normal(rng, out.shape, 0, 1, 'float64');
    const u = x.map((a) => normal(rng, a.shape, 0, 1, 'float64'));
    const g = pullback(v);
    const reverse = g.reduce((s, gi, i) => s + dot(gi.astype('float64'), u[i]), 0);
    const forward = dot(jvp(f, x, u).tangent.astype('float64'), v);
    const plus = scalarAt(x.map((a, i) => add(a, mul(u[i], eps))), v);
    const minus = scalarAt(x.map((a, i) => sub(a, mul(u[i], eps))), v);
    const numeric = (plus - minus) / (2 * eps);
    results.push({ reverse, forward, numeric });
    if (!close(reverse, numeric, rtol, atol) || !close(forward, reverse, rtol, atol)) {
      ok = false;
      lastV = v;
    }
  }
  let worst: WorstCoordinate | undefined;
  const total = x.reduce((n, a) => n + a.size, 0);
  if ((!ok || opts.coordinates) && total <= 20000) {
    const v = lastV ?? normal(rng, out.shape, 0, 1, 'float64');
    const g = pullback(v);
    x.forEach((a, argIdx) => {
      const ga = g[argIdx].astype('float64').data;
      for (let k = 0; k < a.size; k++) {
        const shift = (s: number) => x.map((b, j) => {
          if (j !== argIdx) return b;
          const c = b.clone();
          c.data[k] += s;
          return c;
        });
        const numeric = (scalarAt(shift(eps), v) - scalarAt(shift(-eps), v)) / (2 * eps);
        const error = Math.abs(ga[k] - numeric) / (atol + rtol * Math.max(Math.abs(ga[k]), Math.abs(numeric)));
        if (!worst || error > worst.error) worst = { arg: argIdx, index: unravel(k, a.shape), analytic: ga[k], numeric, error };
      }
    });
    if (worst && worst.error > 1) ok = false;
  }
  const fmt = (n: number) => n.toPrecision(8);
  let message = ok
    ? `gradients agree along ${directions} random directions`
    : `gradient check failed: ` +
      results.map((r, i) => `direction ${i}: reverse ${fmt(r.reverse)}, forward ${fmt(r.forward)}, numeric ${fmt(r.numeric)}`).join('; ');
  if (worst && !ok) {
    message += `; worst coordinate: argument ${worst.arg} at [${worst.index.join(', ')}]: analytic ${fmt(worst.analytic)}, numeric ${fmt(worst.numeric)}`;
  }
  return { ok, directions: results, worst, message };
}

/** Throws with `checkGrads`'s message when the gradients disagree. */
export function assertGrads(f: (...xs: Var[]) => Var | Tensor, args: Tensor[], opts?: CheckGradsOptions): void {
  const r = checkGrads(f, args, opts);
  if (!r.ok) throw new Error(r.message);
}


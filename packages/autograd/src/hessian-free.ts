/**
 * Hessian-free optimisation (Martens 2010; Martens & Sutskever 2011, for RNNs): each outer step
 * minimises a damped quadratic model of the loss with conjugate gradient, using only
 * curvature-vector products G v = J^T H_L J v (Gauss-Newton: one forward-mode JVP for J v, the
 * output loss's Hessian, one reverse-mode VJP for J^T), never an explicit matrix.
 *
 * Pieces, as in the papers:
 * - CG on (G + lambda I [+ lambda mu S]) d = -g, warm-started from `decay` x the previous solution,
 *   with Martens' relative-progress stopping rule and an iteration cap;
 * - an optional diagonal preconditioner (M = (B g^2 + lambda)^0.75, the squared mini-batch
 *   gradient scaled by the batch size standing in for the empirical Fisher diagonal);
 * - CG iterate backtracking: iterates are kept at i = ceil(1.3^j) and the last one whose loss does
 *   not get worse than its successor's is used;
 * - Levenberg-Marquardt damping: rho = (f(x + d) - f(x)) / (q(d) - q(0)); lambda x 3/2 when
 *   rho < 1/4, x 2/3 when rho > 3/4;
 * - structural damping (Martens & Sutskever 2011): the system may add lambda mu S, a Gauss-Newton
 *   term on the hidden states, so that steps that change them a lot are damped;
 * - an Armijo backtracking line search on the final step.
 * Curvature products may use a smaller mini-batch than the gradient (the system decides).
 */
export interface CurvatureSystem {
  /** The loss at flat parameters theta (on the gradient batch). */
  loss(theta: Float64Array): number;
  /** The loss and its gradient at theta (on the gradient batch). */
  lossAndGradient(theta: Float64Array): { loss: number; gradient: Float64Array };
  /**
   * G v at theta (Gauss-Newton, on the curvature batch). `structural` > 0 asks for the
   * structural-damping term too: returns G v + structural S v.
   */
  curvatureProduct(theta: Float64Array, v: Float64Array, structural: number): Float64Array;
  /** Mini-batch size of the gradient (for the preconditioner's Fisher estimate). */
  batchSize?: number;
}

/** Hessian-free settings: damping, structural damping, CG iterations, preconditioner. */
export interface HessianFreeOptions {
  /** Initial Levenberg-Marquardt damping lambda (default 1). */
  damping?: number;
  /** Structural damping weight mu (default 0: off; Martens & Sutskever used 1/30 for some RNNs). */
  structuralDamping?: number;
  maxCgIterations?: number;
  minCgIterations?: number;
  /** Fraction of the previous CG solution used as the next start (default 0.95). */
  cgDecay?: number;
  preconditioner?: 'none' | 'diagonal';
  /** Armijo constant of the line search (default 0.01). */
  armijo?: number;
}

/** What a checkpoint keeps of Hessian-free: its step, damping and last CG solution (warm start). */
export interface HessianFreeState {
  kind: 'hessian-free';
  step: number;
  damping: number;
  previous: number[];
}

/** What one Hessian-free step did: losses before and after, damping, reduction ratio, CG iterations, rate. */
export interface HessianFreeStep {
  loss: number;
  newLoss: number;
  damping: number;
  rho: number;
  cgIterations: number;
  /** Step length chosen by the line search (0: the step was rejected). */
  rate: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** theta + s d */
function step(theta: Float64Array, d: Float64Array, s: number): Float64Array {
  const out = new Float64Array(theta.length);
  for (let i = 0; i < out.length; i++) out[i] = theta[i] + s * d[i];
  return out;
}

/** The result of `conjugateGradient`: kept iterates and the quadratic model along the way. */
export interface CgResult {
  /** Kept iterates (i = ceil(1.3^j) and the last), with their iteration numbers. */
  iterates: { iteration: number; x: Float64Array }[];
  /** The quadratic model phi(x_i) = 1/2 x^T A x + b^T x after each iteration (0: the start). */
  phi: number[];
  iterations: number;
}

/**
 * Preconditioned conjugate gradient on A x = -b from x0, with Martens' (2010) stopping rule:
 * stop at i > k when phi(x_i) < 0 and (phi(x_i) - phi(x_{i-k})) / phi(x_i) < k eps,
 * k = max(10, 0.1 i), eps = 5e-4.
 */
export function conjugateGradient(
  A: (v: Float64Array) => Float64Array, b: Float64Array, x0: Float64Array,
  opts: { maxIterations: number; minIterations?: number; preconditioner?: Float64Array },
): CgResult {
  const n = b.length;
  const Minv = opts.preconditioner;
  const x = Float64Array.from(x0);
  const Ax = A(x);
  const r = new Float64Array(n); // r = A x + b (the model's gradient)
  for (let i = 0; i < n; i++) r[i] = Ax[i] + b[i];
  const y = new Float64Array(n);
  const applyM = () => {
    for (let i = 0; i < n; i++) y[i] = Minv ? r[i] / Minv[i] : r[i];
  };
  applyM();
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = -y[i];
  let ry = dot(r, y);
  const phiOf = (ax: Float64Array) => 0.5 * dot(x, ax) + dot(b, x);
  const phi = [phiOf(Ax)];
  const iterates: CgResult['iterates'] = [];
  let nextKeep = 1;
  let keepIndex = 0;
  let it = 0;
  for (it = 1; it <= opts.maxIterations; it++) {
    const Ap = A(p);
    const pAp = dot(p, Ap);
    if (!(pAp > 0)) break; // no positive curvature left along p (or NaN): stop here
    const alpha = ry / pAp;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] += alpha * Ap[i];
    }
    applyM();
    const ryNew = dot(r, y);
    const beta = ryNew / ry;
    ry = ryNew;
    for (let i = 0; i < n; i++) p[i] = -y[i] + beta * p[i];
    // phi from the residual: phi = 1/2 x^T (r - b) + b^T x = 1/2 x^T (r + b)
    let ph = 0;
    for (let i = 0; i < n; i++) ph += 0.5 * x[i] * (r[i] + b[i]);
    phi.push(ph);
    if (it >= nextKeep) {
      iterates.push({ iteration: it, x: Float64Array.from(x) });
      nextKeep = Math.ceil(Math.pow(1.3, ++keepIndex));
      while (nextKeep <= it) nextKeep = Math.ceil(Math.pow(1.3, ++keepIndex));
    }
    const k = Math.max(10, Math.floor(0.1 * it));
    if (it > k && it >= (opts.minIterations ?? 1) && ph < 0 && (ph - phi[it - k]) / ph < k * 5e-4) {
      it++;
      break;
    }
  }
  const iterations = it - 1;
  if (iterates.length === 0 || iterates[iterates.length - 1].iteration !== iterations) {
    iterates.push({ iteration: iterations, x: Float64Array.from(x) });
  }
  return { iterates, phi, iterations };
}

/**
 * Hessian-free optimisation (Martens 2010; Martens & Sutskever 2011): each step runs conjugate
 * gradient on damped Gauss-Newton products from a `CurvatureSystem`, backtracks over CG iterates,
 * adapts the damping (Levenberg-Marquardt) and line-searches.
 *
 * @example const hf = new HessianFree({ maxCgIterations: 50 }); const { theta } = hf.step(system, theta0);
 */
export class HessianFree {
  readonly kind = 'hessian-free';
  damping: number;
  readonly opts: Required<HessianFreeOptions>;
  private previous: Float64Array | null = null;
  private t = 0;

  constructor(opts: HessianFreeOptions = {}) {
    this.opts = {
      damping: 1, structuralDamping: 0, maxCgIterations: 250, minCgIterations: 1, cgDecay: 0.95,
      preconditioner: 'none', armijo: 0.01, ...opts,
    };
    if (!(this.opts.damping > 0)) throw new Error(`HessianFree: damping must be > 0, got ${this.opts.damping}`);
    this.damping = this.opts.damping;
  }

  /** One outer iteration: returns the new parameters and what happened. */
  step(system: CurvatureSystem, theta: Float64Array): { theta: Float64Array; info: HessianFreeStep } {
    const n = theta.length;
    const { loss: f0, gradient: g } = system.lossAndGradient(theta);
    const lambda = this.damping;
    const mu = this.opts.structuralDamping;
    const A = (v: Float64Array) => {
      const Gv = system.curvatureProduct(theta, v, lambda * mu);
      for (let i = 0; i < n; i++) Gv[i] += lambda * v[i];
      return Gv;
    };
    let precond: Float64Array | undefined;
    if (this.opts.preconditioner === 'diagonal') {
      const B = system.batchSize ?? 1;
      precond = new Float64Array(n);
      for (let i = 0; i < n; i++) precond[i] = Math.pow(B * g[i] * g[i] + lambda, 0.75);
    }
    const x0 = new Float64Array(n);
    if (this.previous && this.previous.length === n) for (let i = 0; i < n; i++) x0[i] = this.opts.cgDecay * this.previous[i];
    const cg = conjugateGradient(A, g, x0, { maxIterations: this.opts.maxCgIterations, minIterations: this.opts.minCgIterations, preconditioner: precond });
    // CG backtracking: walk back from the last kept iterate while an earlier one is no worse
    let chosen = cg.iterates.length - 1;
    let fChosen = system.loss(step(theta, cg.iterates[chosen].x, 1));
    for (let j = chosen - 1; j >= 0; j--) {
      const fj = system.loss(step(theta, cg.iterates[j].x, 1));
      if (fj < fChosen) {
        chosen = j;
        fChosen = fj;
      } else break;
    }
    const d = cg.iterates[chosen].x;
    this.previous = Float64Array.from(cg.iterates[cg.iterates.length - 1].x);
    // reduction ratio against the undamped quadratic model q(d) - q(0) = g.d + 1/2 d.G d
    const Gd = system.curvatureProduct(theta, d, 0);
    const predicted = dot(g, d) + 0.5 * dot(d, Gd);
    const rho = predicted < 0 ? (fChosen - f0) / predicted : -Infinity;
    if (rho < 0.25) this.damping *= 1.5;
    else if (rho > 0.75) this.damping *= 2 / 3;
    // Armijo line search along d
    const slope = dot(g, d);
    let rate = 1;
    let fNew = fChosen;
    for (let tries = 0; ; tries++) {
      if (Number.isFinite(fNew) && fNew <= f0 + this.opts.armijo * rate * slope) break;
      if (tries === 12) {
        rate = 0;
        fNew = f0;
        break;
      }
      rate *= 0.8;
      fNew = system.loss(step(theta, d, rate));
    }
    this.t++;
    return {
      theta: rate > 0 ? step(theta, d, rate) : Float64Array.from(theta),
      info: { loss: f0, newLoss: fNew, damping: this.damping, rho, cgIterations: cg.iterations, rate },
    };
  }

  state(): HessianFreeState {
    return { kind: 'hessian-free', step: this.t, damping: this.damping, previous: this.previous ? Array.from(this.previous) : [] };
  }

  loadState(s: HessianFreeState): void {
    if (s.kind !== 'hessian-free') throw new Error(`HessianFree: state is for '${s.kind}', not 'hessian-free'`);
    this.t = s.step;
    this.damping = s.damping;
    this.previous = s.previous.length ? Float64Array.from(s.previous) : null;
  }
}

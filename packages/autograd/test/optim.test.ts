/**
 * Optimizers: Adam finds the minimum of a random well-conditioned quadratic; a saved and restored
 * optimizer continues bit-identically; clipping bounds the global norm.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Rng, Tensor, normal, orthogonal, zeros, matmul, transpose, tensor } from '@gridcells/tensor';
import * as ag from '@gridcells/autograd';
import { Adam, SGD, clipGradNorm, globalNorm, valueAndGrad, type Optimizer, type Var } from '@gridcells/autograd';

/** f(x) = 1/2 (x - c)^T A (x - c), A = Q diag(lambda) Q^T with eigenvalues in [1, 4]. */
function quadratic(seed: number, n: number) {
  const rng = new Rng(seed);
  const q = orthogonal(rng, n, 1, 'float64');
  const lam = Array.from({ length: n }, () => 1 + 3 * rng.uniform());
  const d = zeros([n, n], 'float64');
  lam.forEach((l, i) => (d.data[i * n + i] = l));
  const A = matmul(matmul(q, d), transpose(q));
  const c = normal(rng, [n, 1], 0, 1, 'float64');
  const f = (x: Var) => {
    const e = ag.sub(x, c);
    return ag.mul(0.5, ag.sum(ag.mul(e, ag.matmul(A, e))));
  };
  return { f, c };
}

function train(opt: Optimizer, f: (x: Var) => Var, x: Tensor, steps: number, decay = 1): number[] {
  const vg = valueAndGrad(f);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { value, grad } = vg(x);
    losses.push(value);
    opt.step([x], [grad]);
    opt.lr *= decay;
  }
  return losses;
}

describe('Adam', () => {
  it('reaches the minimum of a random well-conditioned quadratic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 2, max: 12 }), (seed, n) => {
        const { f, c } = quadratic(seed, n);
        const x = zeros([n, 1], 'float64');
        // a constant step makes Adam hover at a distance ~lr from the minimum; decay it
        train(new Adam({ lr: 0.05 }), f, x, 1500, 0.997);
        const err = Math.max(...Array.from(x.data, (v, i) => Math.abs(v - c.data[i])));
        expect(err).toBeLessThan(1e-3);
      }),
      { numRuns: 8, examples: [[999997, 12]] },
    );
  });

  it('a saved-and-restored optimizer continues bit-identically to one that never stopped', () => {
    const { f } = quadratic(3, 6);
    const straight = zeros([6, 1]);
    const uninterrupted = train(new Adam({ lr: 0.01 }), f, straight, 40);

    const x = zeros([6, 1]);
    const first = new Adam({ lr: 0.01 });
    const before = train(first, f, x, 17);
    // through JSON, as a checkpoint stores it
    const saved = JSON.parse(JSON.stringify(first.state()));
    const xSaved = Array.from(x.data);
    const resumed = new Adam({ lr: 0.01 });
    resumed.loadState(saved);
    const x2 = tensor(xSaved, [6, 1]);
    const after = train(resumed, f, x2, 23);
    expect([...before, ...after]).toEqual(uninterrupted);
    expect(Array.from(x2.data)).toEqual(Array.from(straight.data));
  });

  it('refuses a state saved by another optimizer', () => {
    const sgd = new SGD({ lr: 0.1, momentum: 0.9 });
    sgd.step([zeros([2])], [tensor([1, 1])]);
    expect(() => new Adam().loadState(sgd.state())).toThrow(/state is for 'sgd', not 'adam'/);
  });
});

describe('SGD with momentum', () => {
  it('descends a quadratic and restores exactly', () => {
    const { f, c } = quadratic(5, 4);
    const x = zeros([4, 1], 'float64');
    const opt = new SGD({ lr: 0.05, momentum: 0.9 });
    const losses = train(opt, f, x, 400);
    expect(losses.at(-1)!).toBeLessThan(1e-8);
    expect(Math.max(...Array.from(x.data, (v, i) => Math.abs(v - c.data[i])))).toBeLessThan(1e-4);
    const copy = new SGD({ lr: 0.05, momentum: 0.9 });
    copy.loadState(JSON.parse(JSON.stringify(opt.state())));
    expect(copy.state()).toEqual(opt.state());
  });
});

describe('clipGradNorm', () => {
  it('scales to maxNorm when above, leaves gradients alone when below', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0.01, max: 10, noNaN: true }), (seed, maxNorm) => {
      const rng = new Rng(seed);
      const grads = [normal(rng, [3, 4], 0, 2), normal(rng, [5], 0, 2)];
      const { grads: clipped, norm } = clipGradNorm(grads, maxNorm);
      expect(norm).toBeCloseTo(globalNorm(grads), 10);
      const after = globalNorm(clipped);
      if (norm > maxNorm) expect(after).toBeCloseTo(maxNorm, 3);
      else expect(clipped).toBe(grads);
    }), { numRuns: 30 });
  });
});

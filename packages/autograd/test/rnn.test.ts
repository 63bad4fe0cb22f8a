/**
 * A whole tanh RNN unrolled over T steps (the shape of the navigation network) has correct
 * gradients end to end, for random N, T and batch: reverse mode, forward mode and finite
 * differences agree for every weight and the initial state at once.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Tensor, reshape, slice } from '@gridcells/tensor';
import * as ag from '@gridcells/autograd';
import type { Var } from '@gridcells/autograd';
import { randn, seedArb } from './arbitraries.js';

/** x_{t+1} = 0.9 x_t + 0.1 (tanh(x_t) W_rec + I_t W_in + b); loss = mean (tanh(x_t) W_out - y_t)^2 + rate cost. */
function rnnLoss(inputs: Tensor, targets: Tensor, T: number) {
  return (wRec: Var, wIn: Var, b: Var, wOut: Var, x0: Var): Var => {
    let x: Var = x0;
    let loss: Var = ag.mul(0, ag.sum(x0));
    for (let t = 0; t < T; t++) {
      const u = ag.tanh(x);
      const drive = ag.add(ag.add(ag.matmul(u, wRec), ag.matmul(at(inputs, t), wIn)), b);
      x = ag.add(ag.mul(x, 0.9), ag.mul(drive, 0.1));
      const y = ag.matmul(ag.tanh(x), wOut);
      const err = ag.sub(y, at(targets, t));
      loss = ag.add(loss, ag.add(ag.mean(ag.square(err)), ag.mul(1e-2, ag.mean(ag.square(ag.tanh(x))))));
    }
    return ag.div(loss, T);
  };
}

describe('unrolled tanh RNN', () => {
  it('gradients of all weights and the initial state agree with finite differences and forward mode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), seedArb, (N, T, B, seed) => {
        const nIn = 2;
        const inputs = randn(seed, [T, B, nIn]);
        const targets = randn(seed + 1, [T, B, 2]);
        const args = [
          randn(seed + 2, [N, N]).astype('float64'),
          randn(seed + 3, [nIn, N]),
          randn(seed + 4, [N]),
          randn(seed + 5, [N, 2]),
          randn(seed + 6, [B, N]),
        ].map((t) => scale(t, 1 / Math.sqrt(N)));
        const r = ag.checkGrads(rnnLoss(inputs, targets, T), args, { directions: 2 });
        expect(r.ok, r.message).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});

function scale(t: Tensor, s: number): Tensor {
  const d = t.data.slice();
  for (let i = 0; i < d.length; i++) d[i] *= s;
  return Tensor.fromData(d, t.shape);
}

/** Time step t of a [T, B, n] sequence, as a [B, n] tensor. */
function at(seq: Tensor, t: number): Tensor {
  return reshape(slice(seq, [[t, t + 1]]), seq.shape.slice(1));
}

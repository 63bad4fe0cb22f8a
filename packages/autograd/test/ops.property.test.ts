/**
 * Every differentiable op: its VJP agrees with central finite differences, and its JVP agrees with
 * its VJP (<J u, v> = <u, J^T v>), on random shapes (broadcast shapes for binary ops) and values.
 * checkGrads runs all three along random directions in float64.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { Tensor } from '@gridcells/tensor';
import * as ag from '@gridcells/autograd';
import { checkGrads, type Var } from '@gridcells/autograd';
import { broadcastPairArb, randn, randu, seedArb, separated, shapeArb } from './arbitraries.js';

const RUNS = 25;

function expectGrads(f: (...xs: Var[]) => Var, args: Tensor[]): void {
  const r = checkGrads(f, args, { directions: 2 });
  expect(r.ok, r.message).toBe(true);
}

describe('unary ops: VJP = finite differences, JVP = VJP', () => {
  const smooth: [string, (x: Var) => Var, (seed: number, s: number[]) => Tensor][] = [
    ['neg', ag.neg, randn],
    ['exp', ag.exp, randn],
    ['log', ag.log, (s, sh) => randu(s, sh, 0.5, 3)],
    ['tanh', ag.tanh, randn],
    ['sigmoid', ag.sigmoid, randn],
    ['square', ag.square, randn],
    ['sqrt', ag.sqrt, (s, sh) => randu(s, sh, 0.5, 3)],
    ['relu', ag.relu, separated],
    ['abs', ag.abs, separated],
    ['clamp', (x) => ag.clamp(x, -0.31, 0.42), separated],
  ];
  for (const [name, f, gen] of smooth) {
    it(name, () => {
      fc.assert(fc.property(shapeArb(), seedArb, (shape, seed) => expectGrads((x) => f(x), [gen(seed, shape)])), { numRuns: RUNS });
    });
  }
});

describe('binary ops with NumPy broadcasting', () => {
  const binary: [string, (a: Var, b: Var) => Var, (seed: number, s: number[]) => Tensor][] = [
    ['add', ag.add, randn],
    ['sub', ag.sub, randn],
    ['mul', ag.mul, randn],
    ['div', ag.div, (s, sh) => randu(s, sh, 0.5, 2)],
    ['pow', ag.pow, (s, sh) => randu(s, sh, 0.5, 2)],
    ['maximum', ag.maximum, separated],
    ['minimum', ag.minimum, separated],
  ];
  for (const [name, f, gen] of binary) {
    it(name, () => {
      fc.assert(
        fc.property(broadcastPairArb, seedArb, ([sa, sb], seed) => {
          // maximum/minimum: one array of distinct values split in two, so no ties across inputs
          expectGrads(f, [gen(seed, sa), gen(seed + 1, sb).astype('float64')].map((t, i) =>
            name === 'maximum' || name === 'minimum' ? separated(seed + 7 * i, t.shape, 0.05 + 0.013 * i) : t));
        }),
        { numRuns: RUNS },
      );
    });
  }
});

const reductionArb = fc
  .record({ shape: shapeArb(3, 4).filter((s) => s.length > 0), pick: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), keepdims: fc.boolean(), seed: seedArb })
  .map(({ shape, pick, keepdims, seed }) => ({ shape, axes: shape.map((_, i) => i).filter((i) => pick[i]), keepdims, seed }));

describe('reductions over random axes, with and without keepdims', () => {
  it('sum', () => fc.assert(fc.property(reductionArb, ({ shape, axes, keepdims, seed }) =>
    expectGrads((x) => ag.sum(x, axes, keepdims), [randn(seed, shape)])), { numRuns: RUNS }));
  it('mean', () => fc.assert(fc.property(reductionArb, ({ shape, axes, keepdims, seed }) =>
    expectGrads((x) => ag.mean(x, axes, keepdims), [randn(seed, shape)])), { numRuns: RUNS }));
  it('max', () => fc.assert(fc.property(reductionArb, ({ shape, axes, keepdims, seed }) =>
    expectGrads((x) => ag.max(x, axes, keepdims), [separated(seed, shape)])), { numRuns: RUNS }));
  it('sum over all axes (no axes given)', () => fc.assert(fc.property(shapeArb(), seedArb, (shape, seed) =>
    expectGrads((x) => ag.sum(x), [randn(seed, shape)])), { numRuns: RUNS }));
});

describe('matmul', () => {
  it('2-D, sizes not multiples of anything', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), seedArb,
      (m, k, n, seed) => expectGrads(ag.matmul, [randn(seed, [m, k]), randn(seed + 1, [k, n])])), { numRuns: RUNS });
  });
  it('batched, with broadcast batch axes', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), seedArb,
      (m, batch, broadcastB, seed) => {
        const a = randn(seed, [batch, 2, m, 3]);
        const b = randn(seed + 1, broadcastB ? [3, m] : [batch, 1, 3, m]);
        expectGrads(ag.matmul, [a, b]);
      }), { numRuns: RUNS });
  });
});

describe('shape ops', () => {
  it('transpose with a random permutation', () => {
    fc.assert(fc.property(shapeArb(4, 3), seedArb, (shape, seed) => {
      const perm = shape.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
      expectGrads((x) => ag.mul(ag.transpose(x, perm), randn(seed + 3, perm.map((p) => shape[p]))), [randn(seed, shape)]);
    }), { numRuns: RUNS });
  });
  it('reshape', () => {
    fc.assert(fc.property(shapeArb(3, 4), seedArb, (shape, seed) => {
      const n = shape.reduce((a, b) => a * b, 1);
      expectGrads((x) => ag.mul(ag.reshape(x, [n]), randn(seed + 3, [n])), [randn(seed, shape)]);
    }), { numRuns: RUNS });
  });
  it('slice with random ranges', () => {
    fc.assert(fc.property(shapeArb(3, 5).filter((s) => s.length > 0), seedArb, (shape, seed) => {
      const ranges = shape.map((d, i): [number, number] => [(seed >> i) % d, d - ((seed >> (i + 3)) % Math.max(1, d - ((seed >> i) % d)))]);
      expectGrads((x) => ag.square(ag.slice(x, ranges)), [randn(seed, shape)]);
    }), { numRuns: RUNS });
  });
  it('concat and stack along a random axis', () => {
    fc.assert(fc.property(shapeArb(3, 3).filter((s) => s.length > 0), seedArb, (shape, seed) => {
      const axis = seed % shape.length;
      const other = shape.map((d, i) => (i === axis ? d + 1 : d));
      expectGrads((a, b) => ag.square(ag.concat([a, b], axis)), [randn(seed, shape), randn(seed + 1, other)]);
      expectGrads((a, b) => ag.square(ag.stack([a, b], axis)), [randn(seed, shape), randn(seed + 2, shape)]);
    }), { numRuns: RUNS });
  });
  it('gather with repeated indices', () => {
    fc.assert(fc.property(shapeArb(3, 4).filter((s) => s.length > 0), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), seedArb,
      (shape, raw, seed) => {
        const axis = seed % shape.length;
        const idx = raw.map((r) => r % shape[axis]);
        expectGrads((x) => ag.square(ag.gather(x, idx, axis)), [randn(seed, shape)]);
      }), { numRuns: RUNS });
  });
});

describe('softmax family (stable)', () => {
  const axisArb = fc.record({ shape: shapeArb(3, 4).filter((s) => s.length > 0), seed: seedArb });
  it('softmax', () => fc.assert(fc.property(axisArb, ({ shape, seed }) =>
    expectGrads((x) => ag.mul(ag.softmax(x, seed % shape.length), randn(seed + 5, shape)), [randn(seed, shape)])), { numRuns: RUNS }));
  it('logSoftmax', () => fc.assert(fc.property(axisArb, ({ shape, seed }) =>
    expectGrads((x) => ag.logSoftmax(x, -1), [randn(seed, shape)])), { numRuns: RUNS }));
  it('logsumexp', () => fc.assert(fc.property(axisArb, fc.boolean(), ({ shape, seed }, keep) =>
    expectGrads((x) => ag.logsumexp(x, seed % shape.length, keep), [randn(seed, shape)])), { numRuns: RUNS }));
});

/**
 * Forward values of the tensor ops against independent references: naive index loops written
 * here, closed forms, and identities (softmax sums to 1, Q^T Q = I).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as T from '@gridcells/tensor';
import { Rng, Tensor, tensor } from '@gridcells/tensor';

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });

function randn(seed: number, shape: number[]): Tensor {
  return T.normal(new Rng(seed), shape, 0, 1, 'float64');
}

/** Multi-index of flat position i in a row-major array of `shape`. */
function unravel(i: number, shape: number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

describe('elementwise with broadcasting', () => {
  it('matches a naive loop that reads each operand at the broadcast index', () => {
    fc.assert(fc.property(shapeArb, fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.nat(), (shape, ones, seed) => {
      const other = shape.map((d, i) => (ones[i] ? 1 : d)).slice(seed % shape.length);
      const a = randn(seed, shape);
      const b = randn(seed + 1, other);
      const out = T.mul(T.add(a, b), b);
      const off = shape.length - other.length;
      for (let i = 0; i < out.size; i++) {
        const idx = unravel(i, out.shape);
        const bi = idx.slice(off).map((x, k) => (other[k] === 1 ? 0 : x));
        const av = a.get(...idx);
        const bv = b.get(...bi);
        expect(out.data[i]).toBe((av + bv) * bv);
      }
    }));
  });
});

describe('reductions', () => {
  it('sum and max over an axis match loops; keepdims keeps a 1', () => {
    const a = tensor([[1, 5, 3], [4, 2, 6]]);
    expect(T.sum(a, 0).toArray()).toEqual([5, 7, 9]);
    expect(T.sum(a, 1, true).shape).toEqual([2, 1]);
    expect(T.max(a, 1).toArray()).toEqual([5, 6]);
    expect(T.mean(a).item()).toBeCloseTo(3.5, 6);
    expect(T.sum(a, [0, 1]).item()).toBe(21);
  });
});

describe('matmul', () => {
  it('matches the triple loop on random sizes, batched with broadcasting', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.nat(),
      (m, k, n, batch, seed) => {
        const a = randn(seed, [batch, m, k]);
        const b = randn(seed + 1, [k, n]);
        const c = T.matmul(a, b);
        expect(c.shape).toEqual([batch, m, n]);
        for (let t = 0; t < batch; t++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a.get(t, i, p) * b.get(p, j);
          expect(c.get(t, i, j)).toBeCloseTo(s, 12);
        }
      }), { numRuns: 30 });
  });
  it('reads transposed views correctly', () => {
    const a = randn(3, [4, 3]);
    const viaView = T.matmul(T.transpose(a), a);
    const viaCopy = T.matmul(T.transpose(a).contiguous(), a);
    expect(Array.from(viaView.data)).toEqual(Array.from(viaCopy.data));
  });
});

describe('shape ops', () => {
  it('transpose, slice, concat, stack, gather, oneHot', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(T.transpose(a).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(T.slice(a, [null, [1, 3]]).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(T.concat([a, a], 1).toArray()).toEqual([[1, 2, 3, 1, 2, 3], [4, 5, 6, 4, 5, 6]]);
    expect(T.stack([a, a], 0).shape).toEqual([2, 2, 3]);
    expect(T.gather(a, [2, 0, 2], 1).toArray()).toEqual([[3, 1, 3], [6, 4, 6]]);
    expect(T.oneHot([1, 0], 3).toArray()).toEqual([[0, 1, 0], [1, 0, 0]]);
    expect(T.unslice(tensor([[9]]), [2, 2], [[1, 2], [0, 1]]).toArray()).toEqual([[0, 0], [9, 0]]);
  });
  it('sumToShape is the adjoint of broadcastTo: <broadcast(x), y> = <x, sumToShape(y)>', () => {
    fc.assert(fc.property(shapeArb, fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.nat(), (shape, ones, seed) => {
      const small = shape.map((d, i) => (ones[i] ? 1 : d));
      const x = randn(seed, small);
      const y = randn(seed + 1, shape);
      expect(T.dot(T.broadcastTo(x, shape), y)).toBeCloseTo(T.dot(x, T.sumToShape(y, small)), 10);
    }));
  });
});

describe('softmax and logsumexp are stable', () => {
  it('softmax rows sum to 1 even for values near 1000', () => {
    const a = T.add(randn(1, [3, 5]), 1000);
    const s = T.sum(T.softmax(a, 1), 1);
    for (const v of s.data) expect(v).toBeCloseTo(1, 12);
  });
  it('logsumexp equals max + log(sum exp(x - max)) and does not overflow', () => {
    const a = tensor([[1000, 1000], [-1000, -Infinity]], undefined, 'float64');
    expect(T.logsumexp(a, 1).toArray()).toEqual([1000 + Math.log(2), -1000]);
  });
});

describe('creation and randomness', () => {
  it('the same seed gives the same draws; a restored state continues the stream', () => {
    const r1 = new Rng(42);
    const a = T.normal(r1, [7]);
    const saved = JSON.parse(JSON.stringify(r1.state()));
    const next = T.normal(r1, [5]);
    expect(Array.from(T.normal(new Rng(42), [7]).data)).toEqual(Array.from(a.data));
    expect(Array.from(T.normal(Rng.fromState(saved), [5]).data)).toEqual(Array.from(next.data));
  });
  it('normal draws have mean 0 and variance 1', () => {
    const x = T.normal(new Rng(7), [20000], 0, 1, 'float64');
    const m = T.mean(x).item();
    const v = T.mean(T.square(T.sub(x, m))).item();
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.04);
  });
  it('fillNormal (ziggurat): mean 0, variance 1, normal tails, and a Kolmogorov-Smirnov distance below the 1% critical value', () => {
    const x = new Float64Array(200000);
    new Rng(11).fillNormal(x);
    let m = 0, v = 0, tail = 0;
    for (const z of x) { m += z; v += z * z; if (Math.abs(z) > 3) tail++; }
    m /= x.length;
    v = v / x.length - m * m;
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.abs(v - 1)).toBeLessThan(0.01);
    expect(Math.abs(tail / x.length - 0.0027)).toBeLessThan(0.0006);
    // the normal CDF through erf (Abramowitz & Stegun 7.1.26, error < 1.5e-7)
    const erf = (u: number) => {
      const t = 1 / (1 + 0.3275911 * Math.abs(u));
      const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-u * u);
      return u >= 0 ? y : -y;
    };
    const s = Float64Array.from(x).sort();
    let D = 0;
    s.forEach((z, i) => {
      const F = 0.5 * (1 + erf(z / Math.SQRT2));
      D = Math.max(D, Math.abs(F - (i + 1) / s.length), Math.abs(F - i / s.length));
    });
    expect(D).toBeLessThan(1.63 / Math.sqrt(s.length));
  });
  it('fillNormal into float32 (the WebAssembly ziggurat) gives the TypeScript ziggurat\'s draws bit for bit, tail and wedge included, and leaves the generator where it leaves it', () => {
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 0, max: 70000 }), fc.double({ min: 0.01, max: 3, noNaN: true }), (seed, n, std) => {
      const a = new Rng(seed);
      const b = new Rng(seed);
      const f32 = new Float32Array(n);
      const f64 = new Float64Array(n); // float64 arrays are filled by the TypeScript loop
      a.fillNormal(f32, std);
      b.fillNormal(f64, std);
      expect(Array.from(f32)).toEqual(Array.from(f64, Math.fround));
      expect(a.uniform()).toBe(b.uniform());
    }), { numRuns: 25 });
    // enough draws that the tail (|z| > r = 3.44, ~1 in 1700) is reached, with a length past one block
    const x = new Float32Array(300001);
    new Rng(5).fillNormal(x);
    const y = new Float64Array(x.length);
    new Rng(5).fillNormal(y);
    expect(x.filter((z) => Math.abs(z) > 3.442619855899).length).toBeGreaterThan(50);
    expect(Array.from(x)).toEqual(Array.from(y, Math.fround));
  });
  it('orthogonal(n) satisfies Q^T Q = I', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.nat(), (n, seed) => {
      const q = T.orthogonal(new Rng(seed), n, 1, 'float64');
      const qtq = T.matmul(T.transpose(q), q);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(qtq.get(i, j)).toBeCloseTo(i === j ? 1 : 0, 10);
    }), { numRuns: 20 });
  });
  it('arange, eye, full, zeros', () => {
    expect(T.arange(3).toArray()).toEqual([0, 1, 2]);
    expect(T.arange(1, 2, 0.5).toArray()).toEqual([1, 1.5]);
    expect(T.eye(2).toArray()).toEqual([[1, 0], [0, 1]]);
    expect(T.full([2], 7).toArray()).toEqual([7, 7]);
    expect(T.zeros([2, 0]).size).toBe(0);
    expect(T.scalar(3).item()).toBe(3);
  });
});

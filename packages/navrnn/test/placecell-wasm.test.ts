/**
 * The PlaceCellRNN's loops in WebAssembly (steps.wat) give the TypeScript loops' bits: its exp
 * returns Math.exp's (one value or two at a time, over every range and the branches' edges), the
 * place codes equal PlaceCells.codeInto's, and the loss and gradient with the WebAssembly loops
 * (ReLU steps, softmax, input weights' gradient) equal those with the TypeScript ones, exactly.
 * Seeded runs depend on these bits.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Rng, WasmBackend, type Backend } from '@gridcells/tensor';
import {
  PlaceCells, initPlaceCellParams, placeCellBatch, placeCellPartial, makeArena, generateTrajectories, SORSCHER_DEFAULTS, type PlaceCellConfig,
} from '@gridcells/navrnn';
import { placeCellSteps } from '../src/networks/placecell/wasm-steps.js';

const memory = new WebAssembly.Memory({ initial: 1 });
const steps = placeCellSteps(memory)!;

/** Doubles from their high and low words (to sweep the thresholds fdlibm tests on the high word). */
function fromWords(hi: number, lo: number): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, hi >>> 0);
  v.setUint32(4, lo >>> 0);
  return v.getFloat64(0);
}

/** exp's branch edges: 0.5 ln2, 1.5 ln2, 2^-28, the overflow and underflow thresholds, k = -1021. */
const EDGES = [0x3fd62e42, 0x3ff0a2b2, 0x3e300000, 0x40862e42, 0x408633ce, 0x40861da0].flatMap((hi) =>
  [hi - 1, hi, hi + 1].flatMap((h) => [0, 1, 0x7fffffff, 0xffffffff].flatMap((lo) => [fromWords(h, lo), fromWords(h | 0x80000000, lo)])),
).concat([0, -0, 1, -1, Math.E, NaN, Infinity, -Infinity, 5e-324, -5e-324, 707, -707, -707.0000001, 709.782712893384, -745.1332191019411]);

describe('PlaceCellRNN loops in WebAssembly', () => {
  it('exp and exp2 return Math.exp\'s bits: every double, the ranges the loops use, the branch edges', () => {
    const pair = (a: number, b: number) => {
      steps.exp2(a, b, 0);
      const r = new Float64Array(memory.buffer, 0, 2);
      return [r[0], r[1]];
    };
    const same = (got: number, x: number) => Object.is(got, Math.exp(x));
    for (const x of EDGES) {
      expect(same(steps.exp(x), x), `exp(${x})`).toBe(true);
      for (const y of EDGES) {
        const [a, b] = pair(x, y);
        expect(same(a, x) && same(b, y), `exp2(${x}, ${y})`).toBe(true);
      }
    }
    const ranged = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true });
    const arg = fc.oneof(fc.double(), ranged(-800, 800), ranged(-710, 0), ranged(-2, 0), ranged(-1e-8, 0), ranged(-0.35, -0.34), ranged(-1.05, -1.03));
    fc.assert(fc.property(arg, arg, (x, y) => {
      const [a, b] = pair(x, y);
      return same(steps.exp(x), x) && same(a, x) && same(b, y);
    }), { numRuns: 20_000 });
    const rng = new Rng(3);
    for (const [lo, hi] of [[-745, 0], [-30, 0], [-1.1, 0], [-800, 800]]) {
      for (let i = 0; i < 100_000; i++) {
        const x = lo + (hi - lo) * rng.uniform();
        const y = lo + (hi - lo) * rng.uniform();
        const [a, b] = pair(x, y);
        if (!(same(a, x) && same(b, y))) expect([a, b], `exp2(${x}, ${y})`).toEqual([Math.exp(x), Math.exp(y)]);
      }
    }
  });

  it('PlaceCells.codesInto (WebAssembly) writes codeInto\'s bits, with and without a surround, odd and even counts, many positions', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.double({ min: 0.02, max: 0.5, noNaN: true }), fc.constantFrom(0, 2, 1.5, 3.7),
      fc.integer({ min: 1, max: 40 }), fc.nat(), (count, sigma, surround, positions, seed) => {
        const rng = new Rng(seed);
        const arena = makeArena({ kind: 'square', side: 2.2 });
        const cells = PlaceCells.inArena(arena, count, sigma, surround, rng);
        const xy = Float64Array.from({ length: 2 * positions }, () => 2.2 * (rng.uniform() - 0.5));
        // one position exactly on a centre (distance 0, exp(-0))
        xy.set(cells.centres.subarray(0, 2));
        const got = new Float32Array(positions * count + count);
        cells.codesInto(xy, positions, got, 1);
        const want = new Float32Array(positions * count + count);
        for (let r = 0; r < positions; r++) cells.codeInto(xy[2 * r], xy[2 * r + 1], want, (r + 1) * count);
        expect(Array.from(got)).toEqual(Array.from(want));
      }), { numRuns: 60 });
    // more positions than the WebAssembly codes take at a time
    const rng = new Rng(9);
    const cells = PlaceCells.inArena(makeArena({ kind: 'square', side: 2.2 }), 7, 0.12, 2, rng);
    const xy = Float64Array.from({ length: 2 * 9000 }, () => 2.2 * (rng.uniform() - 0.5));
    const got = new Float32Array(9000 * 7);
    cells.codesInto(xy, 9000, got);
    const want = new Float32Array(9000 * 7);
    for (let r = 0; r < 9000; r++) cells.codeInto(xy[2 * r], xy[2 * r + 1], want, r * 7);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('the loss and gradient with the WebAssembly loops equal those with the TypeScript loops, bit for bit (odd and even sizes)', () => {
    const wasm = WasmBackend.create()!;
    // the same matrix products without the memory the WebAssembly loops need: the TypeScript loops run
    const plain: Backend = { name: 'wasm products, TypeScript loops', matmul: wasm.matmul.bind(wasm), matmulTransA: wasm.matmulTransA.bind(wasm) };
    fc.assert(fc.property(fc.integer({ min: 2, max: 24 }), fc.integer({ min: 1, max: 41 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }),
      fc.constantFrom(0.1, 1, 30), fc.nat(), (G, P, T, B, scale, seed) => {
        const cfg: PlaceCellConfig = { hidden: G, places: P, nInputs: 2, sigma: 0.12, surround: 2, weightDecay: 0.01 };
        const rng = new Rng(seed);
        const arena = makeArena({ kind: 'square', side: 2.2 });
        const cells = PlaceCells.inArena(arena, P, cfg.sigma, cfg.surround, rng);
        const data = placeCellBatch(cells, generateTrajectories(arena, SORSCHER_DEFAULTS, B, T, 'velocity', rng));
        const p = initPlaceCellParams(cfg, rng);
        // logits spread wide enough to reach exp's every branch
        p.wOut.data.forEach((v, i) => (p.wOut.data[i] = v * scale));
        const a = placeCellPartial(cfg, p, data, wasm, B + 1);
        const b = placeCellPartial(cfg, p, data, plain, B + 1);
        expect(a.sums).toEqual(b.sums);
        a.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(b.grads[i])));
      }), { numRuns: 40 });
  });
});

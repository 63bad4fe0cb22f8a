/**
 * The fused BPTT (hand-written backpropagation through time) gives the same loss and gradients as
 * the autograd tape, which checkGrads ties to finite differences: exactly (to rounding) in float64
 * on random sizes, and to float32 precision on the WebAssembly and plain-TypeScript kernels.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Rng, Tensor, WasmBackend, normal, referenceBackend, zeros, type Backend } from '@gridcells/tensor';
import { valueAndGrad, leastSquaresSystem, flatten, type Var } from '@gridcells/autograd';
import {
  cuevaLoss, cuevaLossAndGrad, cuevaGaussNewton, cuevaOutputs, fastTanh, initParams, makeArena, generateTrajectories, CUEVA_DEFAULTS, drawNoise, toBatch, paramList,
  ACTIVATIONS, type Activation, type CuevaModelConfig, type Encoding,
} from '@gridcells/navrnn';
import { worstRel } from './helpers.js';

/** A random network and batch; `startEncoder`: trials start anywhere and x_0 = p_0 W_start. */
function setup(N: number, T: number, B: number, seed: number, dtype: 'float32' | 'float64', encoding: Encoding = 'speed-direction', activation: Activation = 'tanh', startEncoder = false) {
  const nIn = encoding === 'speed-cos-sin' ? 3 : 2;
  const cfg: CuevaModelConfig = { hidden: N, nInputs: nIn, alpha: 0.1, noiseStd: 0.1, lambdaWeights: 0.01, lambdaRates: 0.05, init: 'orthogonal', initGain: 1, activation, startEncoder };
  const rng = new Rng(seed);
  const tr = generateTrajectories(makeArena({ kind: 'square', side: 1 }), { ...CUEVA_DEFAULTS, start: startEncoder ? 'uniform' : 'centre' }, B, T, encoding, rng);
  const data = toBatch(tr, drawNoise(rng, T, B, N, cfg.noiseStd));
  const p = initParams(cfg, rng, dtype);
  p.b = normal(rng, [N], 0, 0.3, dtype);
  p.wOut = normal(rng, [N, 2], 0, 0.3, dtype);
  const list = paramList(p);
  const tape = valueAndGrad((a, b, c, d, e) => cuevaLoss(cfg, a, b, c, d, data, dtype, e).total, list.map((_, k) => k))(...list);
  return { cfg, data, p, tape };
}


describe('fused BPTT against the autograd tape', () => {
  it('float64, random N, T, batch and encodings: loss and every gradient to 1e-10', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 15 }), fc.integer({ min: 1, max: 5 }), fc.nat(),
      fc.constantFrom<Encoding>('speed-direction', 'speed-cos-sin', 'velocity'), (N, T, B, seed, enc) => {
        const { cfg, data, p, tape } = setup(N, T, B, seed, 'float64', enc);
        const fused = cuevaLossAndGrad(cfg, p, data, referenceBackend);
        expect(Math.abs(fused.loss - tape.value) / Math.abs(tape.value)).toBeLessThan(1e-10);
        expect(worstRel(fused.grads, tape.grads)).toBeLessThan(1e-10);
      }), { numRuns: 30 });
  });

  it('with relu and rectified tanh units too (float64, random sizes): loss and every gradient to 1e-10', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 15 }), fc.integer({ min: 1, max: 5 }), fc.nat(), fc.constantFrom<Activation>('relu', 'rectified-tanh'),
      (N, T, B, seed, activation) => {
        const { cfg, data, p, tape } = setup(N, T, B, seed, 'float64', 'speed-direction', activation);
        const fused = cuevaLossAndGrad(cfg, p, data, referenceBackend);
        expect(Math.abs(fused.loss - tape.value) / Math.abs(tape.value)).toBeLessThan(1e-10);
        expect(worstRel(fused.grads, tape.grads)).toBeLessThan(1e-10);
      }), { numRuns: 30 });
  });

  it('with a start encoder (trials starting anywhere, every activation, float64, random sizes): loss and every gradient, W_start\'s included, to 1e-10', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 15 }), fc.integer({ min: 1, max: 5 }), fc.nat(), fc.constantFrom(...ACTIVATIONS),
      (N, T, B, seed, activation) => {
        const { cfg, data, p, tape } = setup(N, T, B, seed, 'float64', 'speed-direction', activation, true);
        const fused = cuevaLossAndGrad(cfg, p, data, referenceBackend);
        expect(fused.grads.map((g) => g.shape)).toEqual([[N, N], [2, N], [N], [N, 2], [2, N]]);
        expect(Math.abs(fused.loss - tape.value) / Math.abs(tape.value)).toBeLessThan(1e-10);
        expect(worstRel(fused.grads, tape.grads)).toBeLessThan(1e-10);
      }), { numRuns: 30 });
  });

  it('float32 on the wasm and js kernels: within 1e-4 of the tape (N 40, T 60, batch 16)', () => {
    const { cfg, data, p, tape } = setup(40, 60, 16, 3, 'float32');
    for (const backend of [WasmBackend.create()!, referenceBackend]) {
      const fused = cuevaLossAndGrad(cfg, p, data, backend);
      expect(Math.abs(fused.loss - tape.value) / tape.value, backend.name).toBeLessThan(1e-5);
      expect(worstRel(fused.grads, tape.grads), backend.name).toBeLessThan(1e-4);
    }
  });

  it('is deterministic: the same inputs give bit-identical gradients on the same backend', () => {
    const { cfg, data, p } = setup(20, 30, 8, 9, 'float32');
    const w = WasmBackend.create()!;
    const a = cuevaLossAndGrad(cfg, p, data, w);
    const b = cuevaLossAndGrad(cfg, p, data, w);
    expect(a.loss).toBe(b.loss);
    a.grads.forEach((g, i) => expect(Array.from(g.data)).toEqual(Array.from(b.grads[i].data)));
  });
});

describe('the WebAssembly element-wise loops', () => {
  const wasm = WasmBackend.create()!;
  // the same matrix products without the memory the WebAssembly loops need: the TypeScript loops run
  const tsLoops: Backend = { name: 'wasm products, TypeScript loops', matmul: wasm.matmul.bind(wasm), matmulTransA: wasm.matmulTransA.bind(wasm) };
  const bits = (ts: Tensor[]) => ts.map((t) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer)));

  it('give the TypeScript loops\' loss, gradient and Gauss-Newton product bit for bit (float32, random even N, T, batch, every activation, with and without noise and a start encoder)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.nat(), fc.constantFrom(...ACTIVATIONS),
      fc.boolean(), fc.boolean(), (halfN, T, B, seed, activation, noisy, startEncoder) => {
        const { cfg, data, p } = setup(2 * halfN, T, B, seed, 'float32', 'speed-direction', activation, startEncoder);
        const batch = noisy ? data : { ...data, noise: null };
        const got = cuevaLossAndGrad(cfg, p, batch, wasm);
        const want = cuevaLossAndGrad(cfg, p, batch, tsLoops);
        expect(got.loss).toBe(want.loss);
        expect(bits(got.grads)).toEqual(bits(want.grads));
        const rng = new Rng(seed + 1);
        const v = got.grads.map((g) => normal(rng, g.shape, 0, 1, 'float32'));
        expect(bits(cuevaGaussNewton(cfg, p, batch, v, 0.3, wasm))).toEqual(bits(cuevaGaussNewton(cfg, p, batch, v, 0.3, tsLoops)));
      }), { numRuns: 40 });
  });
});

describe('fastTanh', () => {
  it('is within 3e-7 relative of Math.tanh after rounding to float32, over [-20, 20]', () => {
    let worst = 0;
    for (let x = -20; x <= 20; x += 1e-4) {
      const want = Math.fround(Math.tanh(x));
      const got = Math.fround(fastTanh(x));
      if (want !== 0) worst = Math.max(worst, Math.abs(got - want) / Math.abs(want));
    }
    expect(worst).toBeLessThan(3e-7);
    expect(fastTanh(0)).toBe(0);
  });
});

describe('fused Gauss-Newton product', () => {
  it('equals the generic JVP/VJP Gauss-Newton product of the same least-squares terms (float64, with structural damping, every activation, with and without a start encoder)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 4 }), fc.nat(), fc.double({ min: 0, max: 2, noNaN: true }),
      fc.constantFrom(...ACTIVATIONS), fc.boolean(), (N, T, B, seed, structural, activation, startEncoder) => {
        const { cfg, data, p } = setup(N, T, B, seed, 'float64', 'speed-direction', activation, startEncoder);
        const M = T * B;
        const outputs = (w: Var[]) => cuevaOutputs(cfg, w[0], w[1], w[2], w[3], data, 'float64', w[4]);
        const shapes = [[N, N], [2, N], [N], [N, 2], ...(startEncoder ? [[2, N]] : [])];
        const sys = leastSquaresSystem({
          shapes,
          terms: [
            { outputs: (...w: Var[]) => outputs(w).y, targets: Tensor.fromData(Float64Array.from(data.targets), [M, 2]), weights: 1 / (M * 2) },
            { outputs: (...w: Var[]) => outputs(w).u, targets: zeros([M, N], 'float64'), weights: cfg.lambdaRates / (M * N) },
          ],
          structural: { outputs: (...w: Var[]) => outputs(w).u, targets: zeros([M, N], 'float64'), weights: 1 / (M * N) },
          l2: [0, cfg.lambdaWeights / (2 * N), 0, cfg.lambdaWeights / (2 * N), ...(startEncoder ? [0] : [])],
        });
        const rng = new Rng(seed + 1);
        const v = shapes.map((s) => normal(rng, s, 0, 1, 'float64'));
        const want = sys.curvatureProduct(flatten(paramList(p)), flatten(v), structural);
        const got = flatten(cuevaGaussNewton(cfg, p, data, v, structural, referenceBackend));
        let num = 0, den = 0;
        want.forEach((w, i) => { num = Math.max(num, Math.abs(got[i] - w)); den = Math.max(den, Math.abs(w)); });
        expect(num / den).toBeLessThan(1e-9);
      }), { numRuns: 20 });
  });
});

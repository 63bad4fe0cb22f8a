/**
 * The counter-based noise generator (counter-noise.ts): its normals look like independent standard
 * normals (moments, distribution, no correlation across neighbouring counters, time steps or
 * seeds), the array layout is [T][B][N], and gpu.js's three backends compute the same numbers as
 * the TypeScript functions (the hash bit for bit; the normal to 1e-5, the f32 rounding of log and cos).
 */
import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import { GPU } from 'gpu.js';
import { describeWebGpu, expandNoise, noiseNormal, releaseWebGpu, type GpuJsMode } from '@gridcells/navrnn';
import { NOISE_KERNEL_FUNCTIONS, noiseUniform, seedHalves } from '../src/networks/cueva/counter-noise.js';

const adapter = await describeWebGpu();
const webgpu = adapter.available || Boolean(process.env.CI);

afterAll(async () => {
  await releaseWebGpu();
});

/** Pearson correlation of two equally long samples. */
function correlation(x: Float64Array, y: Float64Array): number {
  let mx = 0, my = 0;
  for (let i = 0; i < x.length; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= x.length;
  my /= y.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 on erf, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

describe('counter noise', () => {
  const n = 200_000;
  const draw = (seed: number, t: number, offset = 0) => {
    const [hi, lo] = seedHalves(seed);
    return Float64Array.from({ length: n }, (_, i) => noiseNormal(hi, lo, t, i + offset));
  };

  it('draws standard normals: mean, variance and the distribution (Kolmogorov-Smirnov)', () => {
    for (const seed of [0, 1, 0xdeadbeef, 0xffffffff]) {
      const z = draw(seed, 3);
      let m = 0, v = 0;
      for (const x of z) m += x;
      m /= n;
      for (const x of z) v += (x - m) ** 2;
      v /= n - 1;
      // 5 standard errors: the mean's is 1/sqrt(n) = 0.0022, the variance's sqrt(2/n) = 0.0032
      expect(Math.abs(m), `mean, seed ${seed}`).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(v - 1), `variance, seed ${seed}`).toBeLessThan(5 * Math.sqrt(2 / n));
      const sorted = Float64Array.from(z).sort();
      let d = 0;
      for (let i = 0; i < n; i++) {
        const f = normalCdf(sorted[i]);
        d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
      }
      // the KS critical value at p = 0.001 is 1.95 / sqrt(n)
      expect(d, `KS distance, seed ${seed}`).toBeLessThan(1.95 / Math.sqrt(n));
    }
  });

  it('is uncorrelated across neighbouring units, time steps and seeds', () => {
    const base = draw(12345, 7);
    const pairs: [string, Float64Array][] = [
      ['next counter', draw(12345, 7, 1)],
      ['next time step', draw(12345, 8)],
      ['next seed', draw(12346, 7)],
      ['seed with the top bit flipped', draw(12345 + 2 ** 31, 7)],
    ];
    for (const [what, other] of pairs) expect(Math.abs(correlation(base, other)), what).toBeLessThan(5 / Math.sqrt(n));
    // the two uniforms behind one normal (counters 2 i and 2 i + 1)
    const [hi, lo] = seedHalves(12345);
    const u1 = Float64Array.from({ length: n }, (_, i) => noiseUniform(hi, lo, 7, 2 * i));
    const u2 = Float64Array.from({ length: n }, (_, i) => noiseUniform(hi, lo, 7, 2 * i + 1));
    expect(Math.abs(correlation(u1, u2)), 'a Box-Muller pair').toBeLessThan(5 / Math.sqrt(n));
  });

  it('lays the noise out as [T][B][N], scaled by std, and refuses a seed that is not a 32-bit integer', () => {
    const noise = expandNoise({ seed: 99, std: 0.3 }, 3, 4, 5);
    expect(noise.length).toBe(60);
    const [hi, lo] = seedHalves(99);
    // time step 2, trial 1, unit 4: counter r N + j = 9 within step 2
    expect(noise[(2 * 4 + 1) * 5 + 4]).toBe(Math.fround(0.3 * noiseNormal(hi, lo, 2, 9)));
    for (const bad of [-1, 2 ** 32, 1.5, NaN]) expect(() => seedHalves(bad)).toThrow(/seed must be an integer in \[0, 2\^32\)/);
  });
});

describe.each(['cpu', 'webasm', 'webgpu'] as GpuJsMode[])('counter noise in gpu.js kernels (%s)', (mode) => {
  it.skipIf(mode === 'webgpu' && !webgpu)('computes the TypeScript generator: uniforms bit for bit, normals to 1e-5 (f32 log and cos)', async () => {
    const gpu = new GPU({ mode });
    for (const [fn, types] of NOISE_KERNEL_FUNCTIONS) gpu.addFunction(fn as never, types as never);
    const size = 4096;
    const uniform = gpu.createKernel(function (this: any, hi: number, lo: number, t: number, first: number) {
      return noiseUniform(hi, lo, t, first + this.thread.x);
    } as never, { output: [size], argumentTypes: { hi: 'Float', lo: 'Float', t: 'Integer', first: 'Integer' }, tactic: 'precision' } as never) as unknown as (...a: number[]) => Promise<Float32Array> | Float32Array;
    const normal = gpu.createKernel(function (this: any, hi: number, lo: number, t: number, first: number) {
      return noiseNormal(hi, lo, t, first + this.thread.x);
    } as never, { output: [size], argumentTypes: { hi: 'Float', lo: 'Float', t: 'Integer', first: 'Integer' }, tactic: 'precision' } as never) as unknown as (...a: number[]) => Promise<Float32Array> | Float32Array;
    try {
      // seeds across the whole 32-bit range (top bit set included), counters up to 2^24 and past
      await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 2 ** 25 }), async (seed, t, first) => {
        const [hi, lo] = seedHalves(seed);
        const u = await uniform(hi, lo, t, first);
        const z = await normal(hi, lo, t, first);
        for (let k = 0; k < size; k++) {
          expect(u[k], `uniform at counter ${first + k}`).toBe(noiseUniform(hi, lo, t, first + k));
          const want = noiseNormal(hi, lo, t, first + k);
          expect(Math.abs(z[k] - want), `normal at counter ${first + k}`).toBeLessThan(1e-5);
        }
      }), { numRuns: mode === 'webgpu' ? 8 : 16, examples: [[0xffffffff, 0, 2 ** 24 - 2048]] });
    } finally {
      gpu.destroy();
    }
  }, 120_000);
});

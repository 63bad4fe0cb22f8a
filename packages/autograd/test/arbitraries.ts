import fc from 'fast-check';
import { Rng, Tensor, normal, uniform } from '@gridcells/tensor';

/** A shape of rank 0..maxRank with dimensions 1..maxDim. */
export const shapeArb = (maxRank = 3, maxDim = 4) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 0, maxLength: maxRank });

/**
 * Two shapes that broadcast together: the second drops some leading axes of the first and sets
 * some of the rest to 1 (and the pair is randomly swapped).
 */
export const broadcastPairArb = fc
  .record({
    base: shapeArb(3, 4),
    drop: fc.integer({ min: 0, max: 3 }),
    ones: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    swap: fc.boolean(),
  })
  .map(({ base, drop, ones, swap }) => {
    const other = base.slice(Math.min(drop, base.length)).map((d, i) => (ones[i] ? 1 : d));
    return swap ? [other, base] : [base, other];
  });

export const seedArb = fc.integer({ min: 0, max: 2 ** 30 });

/** Gaussian float64 values. */
export function randn(seed: number, shape: number[]): Tensor {
  return normal(new Rng(seed), shape, 0, 1, 'float64');
}

/** Values in [lo, hi], float64 (e.g. positive for log and sqrt). */
export function randu(seed: number, shape: number[], lo: number, hi: number): Tensor {
  return uniform(new Rng(seed), shape, lo, hi, 'float64');
}

/**
 * Values at least `gap` apart from each other and from zero: kinked ops (relu, abs, max, clamp,
 * maximum) are differentiable there, so finite differences of size 1e-6 never cross a kink.
 */
export function separated(seed: number, shape: number[], gap = 0.05): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => (i + 1) * gap);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [vals[i], vals[j]] = [vals[j], vals[i]];
  }
  const signed = vals.map((v) => (rng.uniform() < 0.5 ? -v : v) + (rng.uniform() - 0.5) * gap * 0.2);
  return Tensor.fromData(Float64Array.from(signed), shape);
}

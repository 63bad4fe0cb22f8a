/**
 * The shuffle test experimental labs use for significance (e.g. Langston et al. 2010, Solstad et
 * al. 2008): the activity time series is circularly shifted against the trajectory by a random
 * offset (at least `minShift` samples from either end), the rate map rebuilt and scored, many
 * times. A unit's score is significant when it exceeds the `percentile` of this null.
 */
import { rateMaps, type RateMapOptions } from './ratemaps.js';
import type { RateMap } from './map.js';

/** Rate-map options plus the shuffle count, minimum shift, percentile and seed. */
export interface ShuffleOptions extends RateMapOptions {
  shuffles?: number;
  /** Smallest shift, in samples (default: 5% of the series). */
  minShift?: number;
  percentile?: number;
  seed?: number;
}

/** A unit's score, its shuffled null distribution, the threshold and the p value. */
export interface ShuffleResult {
  score: number;
  null: number[];
  /** The `percentile` of the null distribution. */
  threshold: number;
  significant: boolean;
  /** Fraction of shuffles scoring at least as high as the unit (with the +1 correction). */
  p: number;
}

/** A small seeded generator (mulberry32): gridscore stays free of the other packages. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffle test of one unit: x, y positions and its activity, one value per sample. */
export function shuffleTest(
  x: ArrayLike<number>, y: ArrayLike<number>, activity: ArrayLike<number>,
  score: (map: RateMap) => number, opts: ShuffleOptions = {},
): ShuffleResult {
  const T = activity.length;
  const { shuffles = 100, percentile = 95, seed = 0 } = opts;
  const minShift = opts.minShift ?? Math.ceil(0.05 * T);
  if (T < 2 * minShift + 1) throw new Error(`shuffleTest: ${T} samples are too few for shifts of at least ${minShift}`);
  const actual = score(rateMaps(x, y, activity, 1, opts).maps[0]);
  const rand = mulberry32(seed);
  const shifted = new Float64Array(T);
  const nullScores: number[] = [];
  for (let s = 0; s < shuffles; s++) {
    const k = minShift + Math.floor(rand() * (T - 2 * minShift + 1));
    for (let t = 0; t < T; t++) shifted[(t + k) % T] = activity[t];
    nullScores.push(score(rateMaps(x, y, shifted, 1, opts).maps[0]));
  }
  const finite = nullScores.filter(Number.isFinite).sort((a, b) => a - b);
  const threshold = finite.length ? finite[Math.min(finite.length - 1, Math.floor((percentile / 100) * finite.length))] : NaN;
  const atLeast = finite.filter((v) => v >= actual).length;
  return { score: actual, null: nullScores, threshold, significant: actual > threshold, p: (atLeast + 1) / (finite.length + 1) };
}

/**
 * Grid scores from the spatial autocorrelogram (SAC).
 *
 * `deepmind` mode is an exact port of DeepMind's grid-cells `scores.py` `GridScorer`
 * (Banino et al., Nature 2018), with its ring masks `zip([0.2]*10, linspace(0.4, 1.0, 10))`:
 * - ring k holds SAC bins at distance d from the centre with 0.2·n < d ≤ e_k·n (n = map side);
 * - in a ring, mu is the mean of the unrotated SAC and var = mean((SAC − mu)²) + 1e-5;
 *   c_θ = mean((SAC − mu)(Rot_θ(SAC) − mu)) / var  (not a true Pearson r: the rotated copy is
 *   centred on the unrotated mean and not normalised by its own variance);
 * - score60 = (c60 + c120)/2 − (c30 + c90 + c150)/3 (mean form) or
 *   min(c60, c120) − max(c30, c90, c150) (`minmax`, Sargolini et al. 2006 style);
 *   score90 = c90 − (c45 + c135)/2; each is the maximum over the 10 rings.
 *
 * The algorithm follows DeepMind's grid-cells scores.py (Copyright 2018 Google LLC, Apache License
 * 2.0; see NOTICE); this is a new implementation of it.
 *
 * Caution: this score rewards smooth maps and linear ramps (a ramp scores 2+).
 * A high score alone is not evidence of a grid; `classify` also asks for a periodic SAC.
 */
import { autocorrelogram, type Autocorrelogram, type Unvisited } from './autocorrelogram.js';
import { rotate, splineCoefficients } from './rotate.js';
import type { RateMap } from './map.js';

/** Which 60-degree score: DeepMind's mean form, or the min-max form. */
export type GridMode = 'deepmind' | 'minmax';

/** The grid scores of a map and the autocorrelogram they came from. */
export interface GridScores {
  /** Mean-form 60-degree score (DeepMind default). */
  score60: number;
  /** Min-max 60-degree score. */
  score60Minmax: number;
  /** 90-degree (square lattice) score. */
  score90: number;
  /** Outer radius (fraction of n) of the ring that gave each maximum. */
  ring60: number;
  ring60Minmax: number;
  ring90: number;
  sac: Autocorrelogram;
}

/** numpy.linspace(0.4, 1.0, 10), value for value. */
export const RING_OUTER = Array.from({ length: 10 }, (_, i) => (i === 9 ? 1.0 : 0.4 + i * ((1.0 - 0.4) / 9)));
/** The inner radius of every ring mask, as a fraction of the map side (DeepMind: 0.2). */
export const RING_INNER = 0.2;
const ANGLES = [30, 45, 60, 90, 120, 135, 150] as const;

/**
 * Grid scores of a rate map (see the module's doc). With `unvisited: 'zero'` they are DeepMind's
 * GridScorer's exactly; the default excludes unvisited bins from the autocorrelogram, which gives
 * the same numbers on a map without unvisited bins. A rectangular H x W map has ring radii
 * measured in its shorter side.
 *
 * @example const { score60, score90 } = gridScores(rateMap(values, 20));
 */
export function gridScores(map: RateMap, opts: { unvisited?: Unvisited } = {}): GridScores {
  const n = Math.min(map.height, map.width);
  const sac = autocorrelogram(map, { unvisited: opts.unvisited });
  const [H, W] = [sac.height, sac.width];
  const coef = splineCoefficients(sac.data, H, W);
  const rotated = new Map<number, Float64Array>(ANGLES.map((a) => [a, rotate(sac.data, H, W, a, coef)]));
  const dist = new Float64Array(H * W);
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) dist[i * W + j] = Math.sqrt((i - (map.height - 1)) ** 2 + (j - (map.width - 1)) ** 2);

  const best = { s60: -Infinity, s60m: -Infinity, s90: -Infinity, r60: NaN, r60m: NaN, r90: NaN };
  const lower = RING_INNER * n;
  for (const outer of RING_OUTER) {
    const upper = outer * n;
    let count = 0;
    let total = 0;
    for (let k = 0; k < dist.length; k++) if (dist[k] > lower && dist[k] <= upper) { count++; total += sac.data[k]; }
    if (count === 0) continue;
    const mu = total / count;
    let v = 0;
    for (let k = 0; k < dist.length; k++) if (dist[k] > lower && dist[k] <= upper) v += (sac.data[k] - mu) ** 2;
    const variance = v / count + 1e-5;
    const c: Record<number, number> = {};
    for (const a of ANGLES) {
      const rot = rotated.get(a)!;
      let s = 0;
      for (let k = 0; k < dist.length; k++) if (dist[k] > lower && dist[k] <= upper) s += (sac.data[k] - mu) * (rot[k] - mu);
      c[a] = s / count / variance;
    }
    const s60 = (c[60] + c[120]) / 2 - (c[30] + c[90] + c[150]) / 3;
    const s60m = Math.min(c[60], c[120]) - Math.max(c[30], c[90], c[150]);
    const s90 = c[90] - (c[45] + c[135]) / 2;
    // strict '>' keeps the first ring on ties, as numpy.argmax does
    if (s60 > best.s60) [best.s60, best.r60] = [s60, outer];
    if (s60m > best.s60m) [best.s60m, best.r60m] = [s60m, outer];
    if (s90 > best.s90) [best.s90, best.r90] = [s90, outer];
  }
  return {
    score60: finite(best.s60), score60Minmax: finite(best.s60m), score90: finite(best.s90),
    ring60: best.r60, ring60Minmax: best.r60m, ring90: best.r90, sac,
  };
}

function finite(x: number): number {
  return x === -Infinity ? NaN : x;
}

/** The score of the chosen mode. */
export function gridScore(map: RateMap, mode: GridMode = 'deepmind', unvisited?: Unvisited): number {
  const s = gridScores(map, { unvisited });
  return mode === 'minmax' ? s.score60Minmax : s.score60;
}

/**
 * The spatial autocorrelogram (SAC) exactly as DeepMind's grid-cells `scores.py`
 * (`GridScorer.calculate_sac`, Banino et al. 2018) computes it:
 *
 * NaN bins become 0 and stay in the statistics. For each lag (dy, dx), u are the map's values at
 * p and v at p + (dy, dx) over the N positions where both lie inside the map; with population
 * moments, SAC = (Σuv/N − ΣuΣv/N²) / (sqrt(Σu²/N − (Σu)²/N²) · sqrt(Σv²/N − (Σv)²/N²)).
 * A NaN result (0/0, or the root of a negative rounding residue) becomes 0; ±inf becomes ±MAX.
 *
 * The algorithm follows DeepMind's grid-cells scores.py (Copyright 2018 Google LLC, Apache License
 * 2.0; see NOTICE); this is a new implementation of it.
 *
 * The result is (2H−1) x (2W−1), zero lag at (H−1, W−1). All five sums are taken directly over
 * each overlap, as upstream's convolve2d does: prefix-sum tables would be faster but lose the
 * small variances of edge lags to cancellation.
 */
import type { RateMap } from './map.js';

/** A spatial autocorrelogram: (2H - 1) x (2W - 1) values, zero lag at the centre. */
export interface Autocorrelogram {
  data: Float64Array;
  /** (2H − 1) and (2W − 1). */
  height: number;
  width: number;
}

/**
 * The spatial autocorrelogram of a rate map (see the module's doc for the exact formula).
 *
 * @example const sac = autocorrelogram(rateMap(values, 20));
 */
export function autocorrelogram(map: RateMap): Autocorrelogram {
  const { height: h, width: w } = map;
  const x = map.data.map((v) => (Number.isNaN(v) ? 0 : v));
  const H = 2 * h - 1;
  const W = 2 * w - 1;
  const out = new Float64Array(H * W);
  for (let dy = -(h - 1); dy <= h - 1; dy++) {
    // u rows [ru0, ru1), v rows shifted by dy
    const ru0 = Math.max(0, -dy);
    const ru1 = Math.min(h, h - dy);
    for (let dx = -(w - 1); dx <= w - 1; dx++) {
      const cu0 = Math.max(0, -dx);
      const cu1 = Math.min(w, w - dx);
      const n = (ru1 - ru0) * (cu1 - cu0);
      let suv = 0;
      let su = 0;
      let sv = 0;
      let su2 = 0;
      let sv2 = 0;
      for (let r = ru0; r < ru1; r++) {
        const ou = r * w;
        const ov = (r + dy) * w + dx;
        for (let c = cu0; c < cu1; c++) {
          const u = x[ou + c];
          const v = x[ov + c];
          suv += u * v;
          su += u;
          sv += v;
          su2 += u * u;
          sv2 += v * v;
        }
      }
      const nn = n * n;
      const stdU = Math.sqrt(su2 / n - (su * su) / nn);
      const stdV = Math.sqrt(sv2 / n - (sv * sv) / nn);
      const cov = suv / n - (su * sv) / nn;
      let r = cov / (stdU * stdV);
      if (Number.isNaN(r)) r = 0;
      else if (r === Infinity) r = Number.MAX_VALUE;
      else if (r === -Infinity) r = -Number.MAX_VALUE;
      out[(dy + h - 1) * W + (dx + w - 1)] = r;
    }
  }
  return { data: out, height: H, width: W };
}

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
import { fft, fft2, nextPow2 } from './fft.js';

/** A spatial autocorrelogram: (2H - 1) x (2W - 1) values, zero lag at the centre. */
export interface Autocorrelogram {
  data: Float64Array;
  /** (2H − 1) and (2W − 1). */
  height: number;
  width: number;
}

/** Maps with more bins than this get their sums by FFT (the direct sums cost (H W)^2). */
export const FFT_ABOVE_BINS = 64 * 64;

/**
 * Lags whose overlap holds at most this many bins keep direct sums on the FFT path: there the
 * FFT's rounding, which scales with the whole map, would be large against the overlap's own sums.
 */
const DIRECT_OVERLAP = 256;

/**
 * The spatial autocorrelogram of a rate map (see the module's doc for the exact formula). Maps
 * above FFT_ABOVE_BINS bins are computed by FFT ('auto'; the same numbers to about 1e-12), so a
 * 1000 x 1000 map takes seconds rather than hours; `method` forces one way.
 *
 * @example const sac = autocorrelogram(rateMap(values, 20));
 */
export function autocorrelogram(map: RateMap, method: 'auto' | 'direct' | 'fft' = 'auto'): Autocorrelogram {
  const x = map.data.map((v) => (Number.isNaN(v) ? 0 : v));
  const fft = method === 'fft' || (method === 'auto' && map.height * map.width > FFT_ABOVE_BINS);
  // an infinite bin makes every sum it enters infinite; the direct sums keep that exactly
  return fft && x.every(Number.isFinite) ? sacByFft(x, map.height, map.width) : sacDirect(x, map.height, map.width);
}

/** The correlation at one lag from its five sums over n overlapping bins (NaN -> 0, +-Inf -> +-MAX). */
function sacValue(n: number, suv: number, su: number, sv: number, su2: number, sv2: number): number {
  const nn = n * n;
  const stdU = Math.sqrt(su2 / n - (su * su) / nn);
  const stdV = Math.sqrt(sv2 / n - (sv * sv) / nn);
  const cov = suv / n - (su * sv) / nn;
  const r = cov / (stdU * stdV);
  if (Number.isNaN(r)) return 0;
  if (r === Infinity) return Number.MAX_VALUE;
  if (r === -Infinity) return -Number.MAX_VALUE;
  return r;
}

/** The five sums of one lag taken directly over its overlap. */
function directSums(x: Float64Array, h: number, w: number, dy: number, dx: number): [number, number, number, number, number, number] {
  const ru0 = Math.max(0, -dy);
  const ru1 = Math.min(h, h - dy);
  const cu0 = Math.max(0, -dx);
  const cu1 = Math.min(w, w - dx);
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
  return [(ru1 - ru0) * (cu1 - cu0), suv, su, sv, su2, sv2];
}

function sacDirect(x: Float64Array, h: number, w: number): Autocorrelogram {
  const H = 2 * h - 1;
  const W = 2 * w - 1;
  const out = new Float64Array(H * W);
  for (let dy = -(h - 1); dy <= h - 1; dy++) {
    for (let dx = -(w - 1); dx <= w - 1; dx++) {
      out[(dy + h - 1) * W + (dx + w - 1)] = sacValue(...directSums(x, h, w, dy, dx));
    }
  }
  return { data: out, height: H, width: W };
}

/**
 * The same sums as cross-correlations by FFT: suv = x * x, su = x * 1, su2 = x^2 * 1, and, by
 * symmetry, sv and sv2 are su and su2 at the opposite lag. The map is centred first (every sum's
 * correlation is unchanged by a constant, and the rounding is smaller).
 */
function sacByFft(raw: Float64Array, h: number, w: number): Autocorrelogram {
  let mean = 0;
  for (const v of raw) mean += v;
  mean /= raw.length;
  const x = raw.map((v) => v - mean);
  const P = nextPow2(2 * h - 1);
  const Q = nextPow2(2 * w - 1);
  const spectrum = (f: (v: number) => number) => {
    const re = new Float64Array(P * Q);
    const im = new Float64Array(P * Q);
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) re[r * Q + c] = f(x[r * w + c]);
    fft2(re, im, P, Q);
    return { re, im };
  };
  const X = spectrum((v) => v);
  const X2 = spectrum((v) => v * v);
  // the all-ones map's spectrum is separable: one 1-D transform per axis
  const rowsOne = fft(new Float64Array(h).fill(1), P);
  const colsOne = fft(new Float64Array(w).fill(1), Q);
  const O = { re: new Float64Array(P * Q), im: new Float64Array(P * Q) };
  for (let a = 0; a < P; a++) {
    for (let b = 0; b < Q; b++) {
      O.re[a * Q + b] = rowsOne.re[a] * colsOne.re[b] - rowsOne.im[a] * colsOne.im[b];
      O.im[a * Q + b] = rowsOne.re[a] * colsOne.im[b] + rowsOne.im[a] * colsOne.re[b];
    }
  }
  // correlation c(d) = sum_p a(p) b(p + d) = IFFT(conj(A) B); two real results share one transform
  const re = new Float64Array(P * Q);
  const im = new Float64Array(P * Q);
  const re2 = new Float64Array(P * Q);
  const im2 = new Float64Array(P * Q);
  for (let k = 0; k < P * Q; k++) {
    const [xr, xi, or, oi, qr, qi] = [X.re[k], X.im[k], O.re[k], O.im[k], X2.re[k], X2.im[k]];
    const aaR = xr * xr + xi * xi; // conj(X) X, real
    const aoR = xr * or + xi * oi; // conj(X) O
    const aoI = xr * oi - xi * or;
    re[k] = aaR - aoI; // (conj(X) X) + i (conj(X) O)
    im[k] = aoR;
    re2[k] = qr * or + qi * oi; // conj(X2) O
    im2[k] = qr * oi - qi * or;
  }
  fft2(re, im, P, Q, true);
  fft2(re2, im2, P, Q, true);
  const at = (dy: number, dx: number) => ((dy + P) % P) * Q + ((dx + Q) % Q);
  // a variance this small is within the FFT's rounding of zero: such lags (flat overlaps, often
  // unvisited bins only) get the direct method's own sums, so they come out as it gives them
  let peak = 0;
  for (const v of x) peak = Math.max(peak, v * v);
  const tiny = 1e-9 * peak;
  const H = 2 * h - 1;
  const W = 2 * w - 1;
  const out = new Float64Array(H * W);
  for (let dy = -(h - 1); dy <= h - 1; dy++) {
    for (let dx = -(w - 1); dx <= w - 1; dx++) {
      const n = (h - Math.abs(dy)) * (w - Math.abs(dx));
      const o = (dy + h - 1) * W + (dx + w - 1);
      if (n <= DIRECT_OVERLAP) {
        out[o] = sacValue(...directSums(raw, h, w, dy, dx));
        continue;
      }
      const k = at(dy, dx);
      const back = at(-dy, -dx);
      const [suv, su, sv, su2, sv2] = [re[k], im[k], im[back], re2[k], re2[back]];
      const flat = su2 / n - (su / n) ** 2 < tiny || sv2 / n - (sv / n) ** 2 < tiny;
      out[o] = flat ? sacValue(...directSums(raw, h, w, dy, dx)) : sacValue(n, suv, su, sv, su2, sv2);
    }
  }
  return { data: out, height: H, width: W };
}

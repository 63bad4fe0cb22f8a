/**
 * The spatial autocorrelogram (SAC): for each lag (dy, dx), u are the map's values at p and v at
 * p + (dy, dx) over the N positions where both are used; with population moments,
 * SAC = (Σuv/N − ΣuΣv/N²) / (sqrt(Σu²/N − (Σu)²/N²) · sqrt(Σv²/N − (Σv)²/N²)).
 * A NaN result (0/0, or the root of a negative rounding residue) becomes 0; ±inf becomes ±MAX.
 *
 * Unvisited (NaN) bins, two ways:
 * - 'exclude' (default): a pair enters only where both bins are visited, so an unvisited bin or a
 *   bin outside the arena never counts as a rate of zero. This is what lets a lattice inside a
 *   triangle or a circle show its own periodicity rather than the arena's outline, and it makes
 *   the SAC invariant to adding a constant to the map.
 * - 'zero': exactly as DeepMind's grid-cells `scores.py` (`GridScorer.calculate_sac`, Banino et
 *   al. 2018): NaN bins become 0 and stay in the statistics (N counts every overlapping bin).
 * 'exclude' also puts a floor of 1e-8 of the map's variance under each overlap's variance, so a
 * flat overlap (a rectified or saturated stretch) gives about 0 where 'zero' keeps DeepMind's ratio
 * of rounding errors. On a map without unvisited bins and nearly flat stretches the two agree to ~1e-8.
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

/** How unvisited (NaN) bins enter the autocorrelogram (see the module's doc). */
export type Unvisited = 'exclude' | 'zero';

/** How an autocorrelogram is computed. */
export interface SacOptions {
  /** Default 'exclude'; 'zero' is DeepMind's scores.py exactly. */
  unvisited?: Unvisited;
  /** Direct sums or FFT; 'auto' (default): FFT above FFT_ABOVE_BINS bins (the same numbers to about 1e-12). */
  method?: 'auto' | 'direct' | 'fft';
}

/**
 * The spatial autocorrelogram of a rate map (see the module's doc for the formula). Maps above
 * FFT_ABOVE_BINS bins are computed by FFT, so a 1000 x 1000 map takes seconds rather than hours.
 *
 * @example const sac = autocorrelogram(rateMap(values, 20));
 */
export function autocorrelogram(map: RateMap, opts: SacOptions = {}): Autocorrelogram {
  const { unvisited = 'exclude', method = 'auto' } = opts;
  const raw = map.data.map((v) => (Number.isNaN(v) ? 0 : v));
  const mask = unvisited === 'zero' || !map.data.some(Number.isNaN) ? null : map.data.map((v) => (Number.isNaN(v) ? 0 : 1));
  const fft = method === 'fft' || (method === 'auto' && map.height * map.width > FFT_ABOVE_BINS);
  // DeepMind's sums are taken directly on the raw values, with no floor under the variances (the
  // FFT's on the centred values: its rounding scales with them)
  const { x, flat } = unvisited === 'zero' ? { x: fft ? centred(raw, null).x : raw, flat: 0 } : centred(raw, mask);
  // an infinite bin makes every sum it enters infinite; the direct sums keep that exactly
  return fft && x.every(Number.isFinite) ? sacByFft(x, mask, flat, map.height, map.width) : sacDirect(x, mask, flat, map.height, map.width);
}

/**
 * The used bins less their mean (unused bins 0), and the floor under every overlap's variance:
 * 1e-8 of the map's own variance. Every correlation is unchanged by the centring, and both are
 * unchanged by adding a constant to the map or scaling it, so the scores are too.
 */
function centred(raw: Float64Array, mask: Float64Array | null): { x: Float64Array; flat: number } {
  let [sum, used] = [0, 0];
  for (let k = 0; k < raw.length; k++) if (!mask || mask[k]) [sum, used] = [sum + raw[k], used + 1];
  const mean = sum / used;
  const x = raw.map((v, k) => (mask && !mask[k] ? 0 : v - mean));
  let sq = 0;
  for (let k = 0; k < x.length; k++) if (!mask || mask[k]) sq += x[k] * x[k];
  return { x, flat: 1e-8 * (sq / used) };
}

/**
 * The correlation at one lag from its five sums over n overlapping bins (NaN -> 0, +-Inf -> +-MAX).
 * With `floor` > 0 ('exclude' mode) each variance has `floor` added (1e-8 of
 * the map's own variance): an overlap that is flat to rounding (a rectified or saturated stretch,
 * or the few bins an irregular arena's outlying lags pair) then gives a correlation near 0 instead
 * of a ratio of rounding errors, and the result changes smoothly, so adding a constant to the map
 * or scaling it cannot tip a lag from one to the other.
 */
function sacValue(floor: number, n: number, suv: number, su: number, sv: number, su2: number, sv2: number): number {
  const nn = n * n;
  const cov = suv / n - (su * sv) / nn;
  let r: number;
  if (floor > 0) {
    const varU = Math.max(0, su2 / n - (su * su) / nn) + floor;
    const varV = Math.max(0, sv2 / n - (sv * sv) / nn) + floor;
    r = cov / Math.sqrt(varU * varV);
  } else {
    r = cov / (Math.sqrt(su2 / n - (su * su) / nn) * Math.sqrt(sv2 / n - (sv * sv) / nn));
  }
  if (Number.isNaN(r)) return 0;
  if (r === Infinity) return Number.MAX_VALUE;
  if (r === -Infinity) return -Number.MAX_VALUE;
  return r;
}

/** The five sums of one lag and their count, taken directly over its overlap (pairs of visited bins where `mask` is given). */
function directSums(x: Float64Array, mask: Float64Array | null, h: number, w: number, dy: number, dx: number): [number, number, number, number, number, number] {
  const ru0 = Math.max(0, -dy);
  const ru1 = Math.min(h, h - dy);
  const cu0 = Math.max(0, -dx);
  const cu1 = Math.min(w, w - dx);
  let suv = 0;
  let su = 0;
  let sv = 0;
  let su2 = 0;
  let sv2 = 0;
  if (!mask) {
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
  let n = 0;
  for (let r = ru0; r < ru1; r++) {
    const ou = r * w;
    const ov = (r + dy) * w + dx;
    for (let c = cu0; c < cu1; c++) {
      if (!(mask[ou + c] && mask[ov + c])) continue;
      const u = x[ou + c];
      const v = x[ov + c];
      n++;
      suv += u * v;
      su += u;
      sv += v;
      su2 += u * u;
      sv2 += v * v;
    }
  }
  return [n, suv, su, sv, su2, sv2];
}

function sacDirect(x: Float64Array, mask: Float64Array | null, flat: number, h: number, w: number): Autocorrelogram {
  const H = 2 * h - 1;
  const W = 2 * w - 1;
  const out = new Float64Array(H * W);
  for (let dy = -(h - 1); dy <= h - 1; dy++) {
    for (let dx = -(w - 1); dx <= w - 1; dx++) {
      out[(dy + h - 1) * W + (dx + w - 1)] = sacValue(flat, ...directSums(x, mask, h, w, dy, dx));
    }
  }
  return { data: out, height: H, width: W };
}

/**
 * The same sums as cross-correlations by FFT, with m the mask of used bins (all ones in 'zero'
 * mode): suv = x * x, su = x * m, su2 = x^2 * m, n = m * m and, by symmetry, sv and sv2 are su and
 * su2 at the opposite lag. `x` is centred (see `centred`).
 */
function sacByFft(x: Float64Array, mask: Float64Array | null, flatVariance: number, h: number, w: number): Autocorrelogram {
  const P = nextPow2(2 * h - 1);
  const Q = nextPow2(2 * w - 1);
  const spectrum = (f: (k: number) => number) => {
    const re = new Float64Array(P * Q);
    const im = new Float64Array(P * Q);
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) re[r * Q + c] = f(r * w + c);
    fft2(re, im, P, Q);
    return { re, im };
  };
  const X = spectrum((k) => x[k]);
  const X2 = spectrum((k) => x[k] * x[k]);
  const O = mask ? spectrum((k) => mask[k]) : onesSpectrum(h, w, P, Q);
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
    const qoR = qr * or + qi * oi; // conj(X2) O
    const qoI = qr * oi - qi * or;
    const ooR = or * or + oi * oi; // conj(O) O, real: the count of used pairs
    re2[k] = qoR;
    im2[k] = mask ? qoI + ooR : qoI; // (conj(X2) O) + i (conj(O) O) where the count varies
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
      const k = at(dy, dx);
      const n = mask ? Math.round(im2[k]) : (h - Math.abs(dy)) * (w - Math.abs(dx));
      const o = (dy + h - 1) * W + (dx + w - 1);
      if (n <= DIRECT_OVERLAP) {
        out[o] = sacValue(flatVariance, ...directSums(x, mask, h, w, dy, dx));
        continue;
      }
      const back = at(-dy, -dx);
      const [suv, su, sv, su2, sv2] = [re[k], im[k], im[back], re2[k], re2[back]];
      const flat = su2 / n - (su / n) ** 2 < tiny || sv2 / n - (sv / n) ** 2 < tiny;
      out[o] = flat ? sacValue(flatVariance, ...directSums(x, mask, h, w, dy, dx)) : sacValue(flatVariance, n, suv, su, sv, su2, sv2);
    }
  }
  return { data: out, height: H, width: W };
}

/** The spectrum of an all-ones h x w map padded to P x Q: separable, one 1-D transform per axis. */
function onesSpectrum(h: number, w: number, P: number, Q: number): { re: Float64Array; im: Float64Array } {
  const rowsOne = fft(new Float64Array(h).fill(1), P);
  const colsOne = fft(new Float64Array(w).fill(1), Q);
  const O = { re: new Float64Array(P * Q), im: new Float64Array(P * Q) };
  for (let a = 0; a < P; a++) {
    for (let b = 0; b < Q; b++) {
      O.re[a * Q + b] = rowsOne.re[a] * colsOne.re[b] - rowsOne.im[a] * colsOne.im[b];
      O.im[a * Q + b] = rowsOne.re[a] * colsOne.im[b] + rowsOne.im[a] * colsOne.re[b];
    }
  }
  return O;
}

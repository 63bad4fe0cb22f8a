/**
 * Band score: the share of a rate map's variance explained by its best single plane wave,
 *   r(x) ~ a cos(k . x) + b sin(k . x) + c,
 * fitted by least squares over the visited bins, searching wave vectors k over all directions and
 * over wavelengths from 2 bins up to `maxWavelength` (default: the arena's width divided by 1.5,
 * so at least one and a half periods fit and a linear ramp is not mistaken for a band; the width
 * is that of the visited bins in their narrowest direction: the side of a square box, the height
 * of a triangle, the diameter of a circle). A band cell (one plane wave, rectified) scores near 1,
 * a hexagonal grid (three waves) near 1/3, a single place field or a wall field much lower. The
 * score is unchanged by adding a constant to the map and by scaling it.
 *
 * The search is a coarse grid (directions every 4 degrees, wavelengths 7% apart) then a compass
 * search around its best point, halving its steps down to 0.05 degree and 0.05%. The coarse grid's
 * cos and sin tables and normal equations depend only on which bins are visited, so they are kept
 * for the next map with the same bins (a unit's shuffled maps, a network's units). Maps above
 * FFT_ABOVE_BINS bins start instead from the strongest wave of their power spectrum (a 4-degree
 * grid is too coarse for short waves across a large map, and too slow: its cost grows with the
 * bins).
 */
import { isFlat, type RateMap } from './map.js';
import { FFT_ABOVE_BINS } from './autocorrelogram.js';
import { fft2, nextPow2 } from './fft.js';

/** The range of wavelengths (bins) the band score searches. */
export interface BandOptions {
  /** Longest wavelength tried, in bins (default: the visited bins' narrowest width / 1.5). */
  maxWavelength?: number;
  minWavelength?: number;
}

/** The band score and the best plane wave's wavelength and direction. */
export interface BandResult {
  score: number;
  /** Wavelength of the best wave, in bins. */
  wavelength: number;
  /** Direction of the wave vector, degrees in [0, 180), from +x towards +y (rows). */
  direction: number;
}

interface Samples {
  row: Int32Array;
  col: Int32Array;
  r: Float64Array;
  variance: number;
  height: number;
  width: number;
}

function samples(map: RateMap): Samples {
  const cols: number[] = [];
  const rows: number[] = [];
  const rs: number[] = [];
  for (let i = 0; i < map.height; i++) {
    for (let j = 0; j < map.width; j++) {
      const v = map.data[i * map.width + j];
      if (!Number.isFinite(v)) continue;
      cols.push(j);
      rows.push(i);
      rs.push(v);
    }
  }
  const r = Float64Array.from(rs);
  const mean = r.reduce((s, v) => s + v, 0) / r.length;
  for (let k = 0; k < r.length; k++) r[k] -= mean;
  const variance = r.reduce((s, v) => s + v * v, 0);
  return { row: Int32Array.from(rows), col: Int32Array.from(cols), r, variance, height: map.height, width: map.width };
}

/** The plane wave k . x at every visited bin: cos and sin, and the normal equations' centred sums. */
interface Wave {
  c: Float64Array;
  s: Float64Array;
  cc: number;
  ss: number;
  cs: number;
}

/** cos and sin of k . x along the columns (x) and the rows (y): k . x is separable, so no trig per bin. */
function tables(s: Samples, wavelength: number, degrees: number) {
  const k = (2 * Math.PI) / wavelength;
  const kx = k * Math.cos((degrees * Math.PI) / 180);
  const ky = k * Math.sin((degrees * Math.PI) / 180);
  const cx = new Float64Array(s.width);
  const sx = new Float64Array(s.width);
  const cy = new Float64Array(s.height);
  const sy = new Float64Array(s.height);
  for (let j = 0; j < s.width; j++) [cx[j], sx[j]] = [Math.cos(kx * (j + 0.5)), Math.sin(kx * (j + 0.5))];
  for (let i = 0; i < s.height; i++) [cy[i], sy[i]] = [Math.cos(ky * (i + 0.5)), Math.sin(ky * (i + 0.5))];
  return { cx, sx, cy, sy };
}

/** The wave at every visited bin, kept (the coarse grid's waves are reused across maps). */
function wave(s: Samples, wavelength: number, degrees: number): Wave {
  const { cx, sx, cy, sy } = tables(s, wavelength, degrees);
  const n = s.r.length;
  const cv = new Float64Array(n);
  const sv = new Float64Array(n);
  let sc = 0, ss = 0, scc = 0, sss = 0, scs = 0;
  for (let q = 0; q < n; q++) {
    const [i, j] = [s.row[q], s.col[q]];
    const c = cx[j] * cy[i] - sx[j] * sy[i];
    const si = sx[j] * cy[i] + cx[j] * sy[i];
    cv[q] = c;
    sv[q] = si;
    sc += c; ss += si; scc += c * c; sss += si * si; scs += c * si;
  }
  return { c: cv, s: sv, cc: scc - (sc * sc) / n, ss: sss - (ss * ss) / n, cs: scs - (sc * ss) / n };
}

/** Fraction of the (centred) map's variance explained by the least-squares fit of one wave, computed in one pass. */
function explained(s: Samples, wavelength: number, degrees: number): number {
  const { cx, sx, cy, sy } = tables(s, wavelength, degrees);
  const n = s.r.length;
  let sc = 0, ss = 0, scc = 0, sss = 0, scs = 0, src = 0, srs = 0;
  for (let q = 0; q < n; q++) {
    const [i, j] = [s.row[q], s.col[q]];
    const c = cx[j] * cy[i] - sx[j] * sy[i];
    const si = sx[j] * cy[i] + cx[j] * sy[i];
    sc += c; ss += si; scc += c * c; sss += si * si; scs += c * si;
    src += s.r[q] * c; srs += s.r[q] * si;
  }
  return fitShare(src, srs, scc - (sc * sc) / n, sss - (ss * ss) / n, scs - (sc * ss) / n, s.variance);
}

/** The share of variance of r ~ a C + b S from the centred normal equations (0 where they are singular). */
function fitShare(src: number, srs: number, cc: number, ss: number, cs: number, variance: number): number {
  const det = cc * ss - cs * cs;
  if (!(det > 1e-12 * cc * ss)) return 0;
  const a = (src * ss - srs * cs) / det;
  const b = (srs * cc - src * cs) / det;
  return (a * src + b * srs) / variance;
}

/** Fraction of the (centred) map's variance explained by the wave's least-squares fit. */
function explainedBy(w: Wave, s: Samples): number {
  // r is centred, so its products with the uncentred cos and sin are those with the centred ones
  let src = 0, srs = 0;
  for (let q = 0; q < s.r.length; q++) {
    src += s.r[q] * w.c[q];
    srs += s.r[q] * w.s[q];
  }
  return fitShare(src, srs, w.cc, w.ss, w.cs, s.variance);
}

/** The visited bins' width in their narrowest direction (directions every 2 degrees), in bins. */
function narrowestWidth(s: Samples): number {
  let width = Infinity;
  for (let d = 0; d < 180; d += 2) {
    const [c, si] = [Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)];
    let [lo, hi] = [Infinity, -Infinity];
    for (let q = 0; q < s.r.length; q++) {
      const p = s.col[q] * c + s.row[q] * si;
      if (p < lo) lo = p;
      if (p > hi) hi = p;
    }
    // a bin is one unit wide along the axes; the extent of bin centres plus one bin
    width = Math.min(width, hi - lo + Math.abs(c) + Math.abs(si));
  }
  return width;
}

/** The coarse search's waves for one set of visited bins (see the module's doc). */
interface CoarseGrid {
  /** The visited bins (row * width + col), the map's width and the wavelength range it was made for. */
  bins: Int32Array;
  width: number;
  minW: number;
  maxW: number;
  points: { wavelength: number; direction: number; wave: Wave }[];
}

/** Coarse grids kept for reuse, newest last; bounded in number and in the values they hold. */
const coarseCache: CoarseGrid[] = [];
const CACHE_GRIDS = 4;
const CACHE_VALUES = 8_000_000;

function coarseGrid(s: Samples, minW: number, maxW: number): CoarseGrid['points'] {
  const bins = Int32Array.from(s.row, (r, q) => r * s.width + s.col[q]);
  const same = (g: CoarseGrid) => g.width === s.width && g.minW === minW && g.maxW === maxW && g.bins.length === bins.length && g.bins.every((v, q) => v === bins[q]);
  const hit = coarseCache.find(same);
  if (hit) return hit.points;
  const points: CoarseGrid['points'] = [];
  for (let w = minW; w <= maxW * 1.0001; w *= 1.07) for (let d = 0; d < 180; d += 4) points.push({ wavelength: w, direction: d, wave: wave(s, w, d) });
  if (points.length * 2 * s.r.length <= CACHE_VALUES) {
    coarseCache.push({ bins, width: s.width, minW, maxW, points });
    if (coarseCache.length > CACHE_GRIDS) coarseCache.shift();
  }
  return points;
}

/**
 * The plane wave with the most power in the centred map's spectrum (unvisited bins as 0, padded to
 * twice the map), among wavelengths in [minW, maxW] bins.
 */
function strongestWave(s: Samples, minW: number, maxW: number): { wavelength: number; direction: number } {
  const P = nextPow2(2 * s.height);
  const Q = nextPow2(2 * s.width);
  const re = new Float64Array(P * Q);
  const im = new Float64Array(P * Q);
  for (let q = 0; q < s.r.length; q++) re[s.row[q] * Q + s.col[q]] = s.r[q];
  fft2(re, im, P, Q);
  let best = { power: -1, wavelength: NaN, direction: NaN };
  // half the spectrum: a real map's power is symmetric
  for (let a = 0; a <= P / 2; a++) {
    for (let bi = 0; bi < Q; bi++) {
      const b = bi <= Q / 2 ? bi : bi - Q;
      if (a === 0 && b <= 0) continue;
      const f = Math.hypot(a / P, b / Q);
      const wavelength = 1 / f;
      if (wavelength < minW || wavelength > maxW) continue;
      const k = a * Q + bi;
      const power = re[k] * re[k] + im[k] * im[k];
      if (power > best.power) best = { power, wavelength, direction: (Math.atan2(a / P, b / Q) * 180) / Math.PI };
    }
  }
  return best;
}

/**
 * The share of the map's variance explained by the best single plane wave (NaN for a flat map).
 *
 * @example bandScore(map).score > 0.5 // band-like
 */
export function bandScore(map: RateMap, opts: BandOptions = {}): BandResult {
  if (isFlat(map)) return { score: NaN, wavelength: NaN, direction: NaN };
  const s = samples(map);
  const maxW = opts.maxWavelength ?? narrowestWidth(s) / 1.5;
  const minW = opts.minWavelength ?? 2;
  let best = { score: -Infinity, wavelength: NaN, direction: NaN };
  const consider = (w: number, d: number) => {
    if (!(w >= minW && w <= maxW)) return false;
    const e = explained(s, w, d);
    if (!(e > best.score)) return false;
    best = { score: e, wavelength: w, direction: ((d % 180) + 180) % 180 };
    return true;
  };
  let [stepW, stepD] = [0.035, 2];
  if (map.height * map.width > FFT_ABOVE_BINS) {
    const peak = strongestWave(s, minW, maxW);
    consider(peak.wavelength, peak.direction);
    // the spectrum's resolution is a frequency step of 1/(2 side): coarse for long waves
    [stepW, stepD] = [0.1, 3];
  } else {
    for (const p of coarseGrid(s, minW, maxW)) {
      const e = explainedBy(p.wave, s);
      if (e > best.score) best = { score: e, wavelength: p.wavelength, direction: p.direction };
    }
  }
  if (!Number.isFinite(best.score)) return { score: NaN, wavelength: NaN, direction: NaN };
  // compass search: move to a better neighbour, else halve the steps
  while (stepW > 5e-4 || stepD > 0.05) {
    const { wavelength, direction } = best;
    let moved = false;
    for (const [a, b] of [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]]) {
      if (consider(wavelength * (1 + a * stepW), direction + b * stepD)) moved = true;
    }
    if (!moved) [stepW, stepD] = [stepW / 2, stepD / 2];
  }
  return best;
}

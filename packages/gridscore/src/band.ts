/**
 * Band score: the share of a rate map's variance explained by its best single plane wave,
 *   r(x) ~ a cos(k . x) + b sin(k . x) + c,
 * fitted by least squares over the visited bins, searching wave vectors k over all directions and
 * over wavelengths from 2 bins up to `maxWavelength` (default: the arena's shorter side divided by
 * 1.5, so at least one and a half periods fit and a linear ramp is not mistaken for a band).
 * A band cell (one plane wave, rectified) scores near 1, a hexagonal grid (three waves) near 1/3,
 * a single place field or a wall field much lower.
 *
 * The search is a coarse grid (directions every 4 degrees, wavelengths 7% apart) refined twice
 * around its best point (to 0.1 degree and 0.2%). Maps above FFT_ABOVE_BINS bins start instead
 * from the strongest wave of their power spectrum (a 4-degree grid is too coarse for short waves
 * across a large map, and too slow: its cost grows with the bins), refined three times.
 */
import { isFlat, type RateMap } from './map.js';
import { FFT_ABOVE_BINS } from './autocorrelogram.js';
import { fft2, nextPow2 } from './fft.js';

/** The range of wavelengths (bins) the band score searches. */
export interface BandOptions {
  /** Longest wavelength tried, in bins (default: min(H, W) / 1.5). */
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

/** Fraction of variance explained by a, b, c fitted to cos and sin of k . x (r is centred). */
function explained(s: Samples, wavelength: number, degrees: number): number {
  const k = (2 * Math.PI) / wavelength;
  const kx = k * Math.cos((degrees * Math.PI) / 180);
  const ky = k * Math.sin((degrees * Math.PI) / 180);
  const n = s.r.length;
  // cos and sin of k . x are separable in x and y: tables per column and per row, no trig per bin
  const cx = new Float64Array(s.width);
  const sx = new Float64Array(s.width);
  const cy = new Float64Array(s.height);
  const sy = new Float64Array(s.height);
  for (let j = 0; j < s.width; j++) [cx[j], sx[j]] = [Math.cos(kx * (j + 0.5)), Math.sin(kx * (j + 0.5))];
  for (let i = 0; i < s.height; i++) [cy[i], sy[i]] = [Math.cos(ky * (i + 0.5)), Math.sin(ky * (i + 0.5))];
  // normal equations of r ~ a C + b S + c, with the constant removed by centring C and S
  let sc = 0, ss = 0, scc = 0, sss = 0, scs = 0, src = 0, srs = 0;
  for (let q = 0; q < n; q++) {
    const i = s.row[q];
    const j = s.col[q];
    const c = cx[j] * cy[i] - sx[j] * sy[i];
    const si = sx[j] * cy[i] + cx[j] * sy[i];
    sc += c; ss += si; scc += c * c; sss += si * si; scs += c * si;
    src += s.r[q] * c; srs += s.r[q] * si;
  }
  const cc = scc - (sc * sc) / n;
  const sS = sss - (ss * ss) / n;
  const cs = scs - (sc * ss) / n;
  const det = cc * sS - cs * cs;
  if (!(det > 1e-12 * cc * sS)) return 0;
  const a = (src * sS - srs * cs) / det;
  const b = (srs * cc - src * cs) / det;
  return (a * src + b * srs) / s.variance;
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
  const maxW = opts.maxWavelength ?? Math.min(map.height, map.width) / 1.5;
  const minW = opts.minWavelength ?? 2;
  let best = { score: -Infinity, wavelength: NaN, direction: NaN };
  const consider = (w: number, d: number) => {
    if (w < minW || w > maxW) return;
    const e = explained(s, w, d);
    if (e > best.score) best = { score: e, wavelength: w, direction: ((d % 180) + 180) % 180 };
  };
  let refinements: number[][];
  if (map.height * map.width > FFT_ABOVE_BINS) {
    const peak = strongestWave(s, minW, maxW);
    consider(peak.wavelength, peak.direction);
    // the spectrum's resolution is a frequency step of 1/(2 side): coarse for long waves
    refinements = [[0.2, 0.02, 6, 1], [0.03, 0.005, 1, 0.2], [0.005, 0.001, 0.2, 0.05]];
  } else {
    for (let w = minW; w <= maxW * 1.0001; w *= 1.07) for (let d = 0; d < 180; d += 4) consider(w, d);
    // two local refinements around the best point: +-7% / +-4 degrees, then +-1% / +-0.5 degree
    refinements = [[0.07, 0.01, 4, 0.5], [0.01, 0.002, 0.5, 0.1]];
  }
  for (const [span, stepW, arc, stepD] of refinements) {
    const centre = { ...best };
    for (let dw = -span; dw <= span + 1e-9; dw += stepW) {
      for (let dd = -arc; dd <= arc + 1e-9; dd += stepD) consider(centre.wavelength * (1 + dw), centre.direction + dd);
    }
  }
  return best;
}

/**
 * Single-unit statistics a lab reports beside the spatial scores.
 */
import type { RateMap } from './map.js';

/**
 * Skaggs et al. (1993) spatial information and Skaggs et al. (1996) sparsity of a rate map.
 * With p_i the occupancy probability of bin i (uniform over visited bins when not given),
 * lambda_i its rate and lambda = Σ p_i lambda_i:
 *   bitsPerUnit   = Σ p_i (lambda_i/lambda) log2(lambda_i/lambda)   (bits per spike for spike rates)
 *   bitsPerSecond = lambda x bitsPerUnit
 *   sparsity      = (Σ p_i lambda_i)² / Σ p_i lambda_i²
 * Rates must be non-negative (measure a signed unit from its minimum first); NaN for a map with
 * zero mean rate.
 */
export function spatialInformation(map: RateMap, occupancy?: ArrayLike<number>): { bitsPerUnit: number; bitsPerSecond: number; sparsity: number } {
  const { data } = map;
  let total = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) total += occupancy ? occupancy[i] : 1;
  let mean = 0;
  let meanSq = 0;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) continue;
    if (data[i] < 0) throw new Error(`spatialInformation: rates must be >= 0, found ${data[i]} at bin ${i}`);
    const p = (occupancy ? occupancy[i] : 1) / total;
    mean += p * data[i];
    meanSq += p * data[i] * data[i];
  }
  if (!(mean > 0)) return { bitsPerUnit: NaN, bitsPerSecond: NaN, sparsity: NaN };
  let info = 0;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]) || data[i] === 0) continue;
    const p = (occupancy ? occupancy[i] : 1) / total;
    const ratio = data[i] / mean;
    info += p * ratio * Math.log2(ratio);
  }
  return { bitsPerUnit: info, bitsPerSecond: info * mean, sparsity: (mean * mean) / meanSq };
}

/**
 * Head-direction tuning from a time series: the occupancy-normalised tuning curve over `bins`
 * direction bins (default 36, 10 degrees) and its mean resultant vector: length in [0, 1]
 * (1 = fires in one direction only) and preferred direction in degrees [0, 360). Rates must be
 * non-negative: a signed unit (tanh) is measured from the minimum of its whole series (not of
 * its curve: shifting each curve by its own minimum would make an almost flat curve look sharply
 * tuned).
 */
export function headDirectionTuning(heading: ArrayLike<number>, activity: ArrayLike<number>, bins = 36) {
  if (heading.length !== activity.length) throw new Error(`headDirectionTuning: ${heading.length} headings but ${activity.length} activity samples`);
  const bin = directionBins(heading, bins);
  const sum = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let t = 0; t < heading.length; t++) {
    sum[bin[t]] += activity[t];
    count[bin[t]]++;
  }
  const curve = Array.from(sum, (s, b) => (count[b] > 0 ? s / count[b] : NaN));
  const lowest = Math.min(...curve.filter(Number.isFinite));
  if (lowest < 0) throw new Error(`headDirectionTuning: rates must be >= 0 (the tuning curve reaches ${lowest}); measure a signed unit from its minimum first`);
  return { ...resultant(curve), curve };
}

/** Each sample's direction bin (of `bins` over [0, 2 pi)). */
export function directionBins(heading: ArrayLike<number>, bins = 36): Int32Array {
  const out = new Int32Array(heading.length);
  for (let t = 0; t < heading.length; t++) {
    const a = ((heading[t] % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
    out[t] = Math.min(bins - 1, Math.floor((a / (2 * Math.PI)) * bins));
  }
  return out;
}

/** The mean resultant vector of a non-negative tuning curve over equal direction bins (NaN bins skipped). */
export function resultant(curve: ArrayLike<number>): { resultantLength: number; preferredDirection: number } {
  const bins = curve.length;
  let c = 0, s = 0, n = 0;
  for (let b = 0; b < bins; b++) {
    const r = curve[b];
    if (!Number.isFinite(r)) continue;
    const th = ((b + 0.5) / bins) * 2 * Math.PI;
    c += r * Math.cos(th);
    s += r * Math.sin(th);
    n += r;
  }
  const resultantLength = n > 0 ? Math.hypot(c, s) / n : NaN;
  const preferredDirection = n > 0 ? (((Math.atan2(s, c) * 180) / Math.PI) + 360) % 360 : NaN;
  return { resultantLength, preferredDirection };
}

/**
 * Speed tuning: least-squares line activity ~ slope x speed + intercept, and the Pearson
 * correlation (the "speed score" of Kropff et al. 2015).
 */
export function speedTuning(speed: ArrayLike<number>, activity: ArrayLike<number>) {
  const n = speed.length;
  if (activity.length !== n) throw new Error(`speedTuning: ${n} speeds but ${activity.length} activity samples`);
  let ms = 0, ma = 0;
  for (let t = 0; t < n; t++) { ms += speed[t]; ma += activity[t]; }
  ms /= n; ma /= n;
  let sxx = 0, syy = 0, sxy = 0;
  for (let t = 0; t < n; t++) {
    const dx = speed[t] - ms, dy = activity[t] - ma;
    sxx += dx * dx; syy += dy * dy; sxy += dx * dy;
  }
  const slope = sxy / sxx;
  return { slope, intercept: ma - slope * ms, correlation: sxy / Math.sqrt(sxx * syy) };
}

/**
 * Rate maps from a trajectory: the mean activity of each unit in each spatial bin.
 *
 * Bins cover the arena's bounding box (default 20 x 20); row = y bin, column = x bin, so the
 * result has the layout of the validation maps (axis 0 = y). Unvisited bins are NaN, and so are
 * bins whose centre lies outside a polygonal arena. Optional Gaussian smoothing respects NaNs
 * (normalised convolution: each bin averages only visited neighbours, and unvisited bins stay NaN).
 */
import { insidePolygon, type Point } from './geometry.js';
import type { RateMap } from './map.js';

/** Bins, bounds, arena and smoothing for building rate maps from positions and activity. */
export interface RateMapOptions {
  /** [rows (y), columns (x)], default [20, 20]. */
  bins?: [number, number];
  /** [[xmin, xmax], [ymin, ymax]] in world units; default: the arena's bounding box, else the data's. */
  bounds?: [[number, number], [number, number]];
  /** Arena outline in world units: bins whose centre is outside become NaN. */
  arena?: Point[];
  /** Gaussian smoothing, sigma in bins (0 = none). */
  smooth?: number;
}

/** Occupancy-normalised rate maps, one per unit, with the occupancy and the bounds used. */
export interface RateMapsResult {
  maps: RateMap[];
  /** Samples per bin. */
  occupancy: Float64Array;
  bounds: [[number, number], [number, number]];
}

/** Where each sample falls: its bin (row * cols + col, or -1 when outside the bounds or not a number), and the bins' occupancy. */
export interface Binning {
  /** Bin of each sample, -1 for a sample not binned. */
  bin: Int32Array;
  /** Samples per bin. */
  occupancy: Float64Array;
  /** 1 for a bin whose centre is outside the arena (never a rate). */
  outside: Uint8Array;
  rows: number;
  cols: number;
  bounds: [[number, number], [number, number]];
}

/** Bins every sample (see `rateMaps` for the options). */
export function binSamples(x: ArrayLike<number>, y: ArrayLike<number>, opts: RateMapOptions = {}): Binning {
  const T = x.length;
  if (y.length !== T) throw new Error(`rateMaps: ${T} x positions but ${y.length} y positions`);
  const [rows, cols] = opts.bins ?? [20, 20];
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows > 0 && cols > 0)) {
    throw new Error(`rateMaps: bins must be two positive integers, got [${rows}, ${cols}]`);
  }
  const bounds = opts.bounds ?? boundsOf(opts.arena, x, y);
  const [[x0, x1], [y0, y1]] = bounds;
  const bin = new Int32Array(T);
  const occupancy = new Float64Array(rows * cols);
  for (let t = 0; t < T; t++) {
    const c = Math.min(cols - 1, Math.floor(((x[t] - x0) / (x1 - x0)) * cols));
    const r = Math.min(rows - 1, Math.floor(((y[t] - y0) / (y1 - y0)) * rows));
    // outside the bounds (or NaN): not binned
    bin[t] = c >= 0 && r >= 0 ? r * cols + c : -1;
    if (bin[t] >= 0) occupancy[bin[t]]++;
  }
  const outside = new Uint8Array(rows * cols);
  if (opts.arena) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const centre: Point = [x0 + ((c + 0.5) / cols) * (x1 - x0), y0 + ((r + 0.5) / rows) * (y1 - y0)];
        outside[r * cols + c] = insidePolygon(centre, opts.arena) ? 0 : 1;
      }
    }
  }
  return { bin, occupancy, outside, rows, cols, bounds };
}

/**
 * Every unit's rate map from binned samples, with the activity circularly shifted by `shift`
 * samples against the positions (sample t gets the activity of sample t - shift; 0: none): the
 * shuffle test's null maps come from the same code as the real ones.
 */
export function mapsOfBinning(b: Binning, activity: ArrayLike<number>, units: number, shift = 0, smooth = 0): RateMap[] {
  const T = b.bin.length;
  const B = b.rows * b.cols;
  // bin-major sums (a bin's units side by side): the activity is read row by row
  const sums = new Float64Array(B * units);
  for (let t = 0; t < T; t++) {
    const k = b.bin[t];
    if (k < 0) continue;
    const src = ((t - shift) % T + T) % T;
    const a = src * units;
    const o = k * units;
    for (let u = 0; u < units; u++) sums[o + u] += activity[a + u];
  }
  const maps: RateMap[] = [];
  for (let u = 0; u < units; u++) {
    const data = new Float64Array(B);
    for (let k = 0; k < B; k++) data[k] = b.occupancy[k] > 0 && !b.outside[k] ? sums[k * units + u] / b.occupancy[k] : NaN;
    const map = { data, height: b.rows, width: b.cols };
    maps.push(smooth ? smoothMap(map, smooth) : map);
  }
  return maps;
}

/**
 * @param x, y positions, one per sample
 * @param activity samples x units, row-major (sample t, unit u at t * units + u)
 */
export function rateMaps(
  x: ArrayLike<number>, y: ArrayLike<number>, activity: ArrayLike<number>, units: number, opts: RateMapOptions = {},
): RateMapsResult {
  if (activity.length !== x.length * units) {
    throw new Error(`rateMaps: activity has ${activity.length} values, expected samples x units = ${x.length} x ${units}`);
  }
  const b = binSamples(x, y, opts);
  return { maps: mapsOfBinning(b, activity, units, 0, opts.smooth), occupancy: b.occupancy, bounds: b.bounds };
}

function boundsOf(arena: Point[] | undefined, x: ArrayLike<number>, y: ArrayLike<number>): [[number, number], [number, number]] {
  const xs = arena ? arena.map((p) => p[0]) : Array.from(x);
  const ys = arena ? arena.map((p) => p[1]) : Array.from(y);
  let [ax, bx, ay, by] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const v of xs) [ax, bx] = [Math.min(ax, v), Math.max(bx, v)];
  for (const v of ys) [ay, by] = [Math.min(ay, v), Math.max(by, v)];
  if (!(bx > ax && by > ay)) throw new Error('rateMaps: the positions span no area; give bounds or an arena');
  return [[ax, bx], [ay, by]];
}

/**
 * Gaussian smoothing (sigma in bins, truncated at 3 sigma, and at the map's size) that ignores and
 * keeps NaN bins: each visited bin becomes the kernel-weighted mean of the visited bins around it.
 * The kernel is separable, so the weighted sums are taken one axis at a time: O(H W R).
 */
export function smoothMap(map: RateMap, sigma: number): RateMap {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new Error(`smoothMap: sigma must be a finite number >= 0 bins, got ${sigma}`);
  if (sigma === 0) return map;
  const { height: h, width: w, data } = map;
  const R = Math.min(Math.ceil(3 * sigma), Math.max(h, w));
  const k = Array.from({ length: 2 * R + 1 }, (_, i) => Math.exp(-((i - R) ** 2) / (2 * sigma * sigma)));
  // weighted sums of the values and of the visited mask: rows first, then columns
  const values = new Float64Array(h * w);
  const mask = new Float64Array(h * w);
  for (let q = 0; q < h * w; q++) {
    if (Number.isFinite(data[q])) {
      values[q] = data[q];
      mask[q] = 1;
    }
  }
  // one axis: `n` lines of `len` bins, bin t of line l at l * lineStep + t * step
  const pass = (src: Float64Array, n: number, len: number, lineStep: number, step: number): Float64Array => {
    const out = new Float64Array(h * w);
    for (let l = 0; l < n; l++) {
      for (let t = 0; t < len; t++) {
        let s = 0;
        const lo = Math.max(-R, -t);
        const hi = Math.min(R, len - 1 - t);
        for (let d = lo; d <= hi; d++) s += k[d + R] * src[l * lineStep + (t + d) * step];
        out[l * lineStep + t * step] = s;
      }
    }
    return out;
  };
  const blur = (src: Float64Array) => pass(pass(src, h, w, w, 1), w, h, 1, w);
  const num = blur(values);
  const den = blur(mask);
  const out = new Float64Array(h * w);
  for (let q = 0; q < h * w; q++) out[q] = Number.isFinite(data[q]) ? num[q] / den[q] : NaN;
  return { data: out, height: h, width: w };
}

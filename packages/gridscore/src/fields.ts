/**
 * Firing-field detection as in Solstad et al. (Science 2008): a field is a 4-connected group of
 * bins whose rate is at least `threshold` x the map's peak rate, with at least `minBins` bins
 * and at most `maxFraction` of the arena.
 */
import type { RateMap } from './map.js';

/** How firing fields are found: threshold relative to the peak, and size bounds. */
export interface FieldOptions {
  /** Fraction of the peak rate (Solstad et al. 2008: 0.3). */
  threshold?: number;
  /** Smallest field, in bins. Default: 1% of the visited bins, and at least 4. */
  minBins?: number;
  /**
   * Largest field, as a fraction of the visited bins (default 0.5). A region above threshold that
   * covers more than half of the arena is background modulation, not a field: without this
   * bound a linear ramp (the trivial solution of a Cartesian readout) has one huge "field" along
   * a whole wall and scores ~0.48 as a border cell.
   */
  maxFraction?: number;
}

/** Each field as the list of its flat bin indices (row * width + col). */
export function detectFields(map: RateMap, opts: FieldOptions = {}, mask?: Uint8Array): number[][] {
  const { data, height: h, width: w } = map;
  const threshold = opts.threshold ?? 0.3;
  let peak = -Infinity;
  let visited = 0;
  for (let k = 0; k < data.length; k++) {
    if (Number.isFinite(data[k]) && (!mask || mask[k])) {
      visited++;
      if (data[k] > peak) peak = data[k];
    }
  }
  if (!(peak > 0)) return [];
  const minBins = opts.minBins ?? Math.max(4, Math.ceil(0.01 * visited));
  const maxBins = (opts.maxFraction ?? 0.5) * visited;
  const above = new Uint8Array(h * w);
  for (let k = 0; k < data.length; k++) above[k] = Number.isFinite(data[k]) && (!mask || mask[k]) && data[k] >= threshold * peak ? 1 : 0;
  const fields: number[][] = [];
  const seen = new Uint8Array(h * w);
  for (let k = 0; k < above.length; k++) {
    if (!above[k] || seen[k]) continue;
    const field: number[] = [];
    const stack = [k];
    seen[k] = 1;
    while (stack.length) {
      const b = stack.pop()!;
      field.push(b);
      const i = Math.floor(b / w);
      const j = b % w;
      for (const [di, dj] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const ni = i + di;
        const nj = j + dj;
        if (ni < 0 || nj < 0 || ni >= h || nj >= w) continue;
        const nb = ni * w + nj;
        if (above[nb] && !seen[nb]) {
          seen[nb] = 1;
          stack.push(nb);
        }
      }
    }
    if (field.length >= minBins && field.length <= maxBins) fields.push(field.sort((a, b) => a - b));
  }
  return fields;
}

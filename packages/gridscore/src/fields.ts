/**
 * Firing-field detection as in Solstad et al. (Science 2008): a field is a 4-connected group of
 * bins whose rate is at least `threshold` x the map's peak rate, with at least `minBins` bins
 * and at most `maxFraction` of the arena.
 *
 * Signed maps (tanh units: activity in (-1, 1), no zero rate to measure from) are measured from
 * their own floor: a field is where the map rises at least `threshold` of the way from its
 * minimum to its peak, and every rate enters as its height above the minimum. This makes every
 * score built on fields invariant to adding a constant to a signed map and to positive scaling. A
 * non-negative map (a lab's firing rates) keeps zero as its floor, as in Solstad et al.
 */
import type { RateMap } from './map.js';

/**
 * Whether a map is scored as signed: 'auto' (default) when any scored value is negative. A caller
 * that knows its units are signed (tanh) passes true, so that a unit that happens to be positive
 * everywhere is scored by the same rule as its neighbours.
 */
export type Signed = boolean | 'auto';

/**
 * The value a map's rates are measured from (see the module's doc): its minimum over the scored
 * bins when signed, else 0.
 */
export function mapFloor(data: ArrayLike<number>, signed: Signed = 'auto', mask?: Uint8Array): number {
  let low = Infinity;
  for (let k = 0; k < data.length; k++) if (Number.isFinite(data[k]) && (!mask || mask[k]) && data[k] < low) low = data[k];
  if (low === Infinity) return 0;
  return signed === true || (signed === 'auto' && low < 0) ? low : 0;
}

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
  /** Signed-map rule (see the module's doc); default 'auto'. */
  signed?: Signed;
}

/** Each field as the list of its flat bin indices (row * width + col). */
export function detectFields(map: RateMap, opts: FieldOptions = {}, mask?: Uint8Array): number[][] {
  const { data, height: h, width: w } = map;
  const threshold = opts.threshold ?? 0.3;
  const floor = mapFloor(data, opts.signed, mask);
  let peak = -Infinity;
  let visited = 0;
  for (let k = 0; k < data.length; k++) {
    if (Number.isFinite(data[k]) && (!mask || mask[k])) {
      visited++;
      if (data[k] > peak) peak = data[k];
    }
  }
  if (!(peak > floor)) return [];
  const minBins = opts.minBins ?? Math.max(4, Math.ceil(0.01 * visited));
  const maxBins = (opts.maxFraction ?? 0.5) * visited;
  const above = new Uint8Array(h * w);
  for (let k = 0; k < data.length; k++) above[k] = Number.isFinite(data[k]) && (!mask || mask[k]) && data[k] - floor >= threshold * (peak - floor) ? 1 : 0;
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

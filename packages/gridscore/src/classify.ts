/**
 * One call that scores a rate map on everything, and the classification of units into
 * grid / border / band / irregular.
 *
 * Default thresholds (a user may pass others):
 * - grid: a periodic autocorrelogram (`gridGeometry(...).regular`: a ring of 6 peaks for a
 *   hexagonal lattice, 4 for a square one) AND score60 > 0.4 (hexagonal) or score90 > 0.4
 *   (square; Cueva & Wei's square arena gives square-ish lattices). On the validation set,
 *   hexagonal grids score60 1.1 to 1.65 and square ones score90 ~1.2; everything else is below
 *   0.3 or not periodic. The periodicity requirement matters: untrained RNN units and linear
 *   ramps reach score60 > 0.3 (ramps 2+), but their autocorrelograms have no ring of peaks.
 * - border: border score > 0.5 (Solstad et al. 2008); on the validation set every border and
 *   corner map scores above 0.5 and no other map does.
 * - band: band score > 0.5; validation bands score 0.65 to 0.96, every other family <= 0.40.
 * - irregular: none of the above.
 * When several tests pass, the unit's one class is the first of grid, border, band (a real grid
 * cell often has a field against a wall and passes the border test too); `spatialTests` reports
 * every test it passes, and scores.csv lists them.
 *
 * Signed maps (tanh units) are scored by the same rule everywhere (fields.ts): measured from
 * their minimum, so every score is unchanged by adding a constant to a signed map and by scaling
 * any map by a positive factor.
 */
import { gridScores, type GridMode } from './grid.js';
import type { Unvisited } from './autocorrelogram.js';
import type { Signed } from './fields.js';
import { gridGeometry } from './geometry-sac.js';
import { borderScore, type BorderOptions } from './border.js';
import { bandScore } from './band.js';
import { isFlat, type RateMap } from './map.js';
import { smoothMap } from './ratemaps.js';

/** The spatial class a unit is given. */
export type CellClass = 'grid' | 'border' | 'band' | 'irregular';

/** The lattice of an autocorrelogram's inner ring: 6 regular peaks, 4, or neither. */
export type Lattice = 'hexagonal' | 'square' | 'none';

/** The spatial tests a unit can pass, in the order that decides its class. */
export const SPATIAL_TESTS = ['grid', 'border', 'band'] as const;
/** One of SPATIAL_TESTS. */
export type SpatialTest = (typeof SPATIAL_TESTS)[number];

/** Every class, in the order of the tests that decide it, irregular last. */
export const CELL_CLASSES: readonly CellClass[] = [...SPATIAL_TESTS, 'irregular'];

/** Every score of one rate map (the columns of scores.csv). */
export interface UnitScores {
  score60: number;
  score90: number;
  score60Minmax: number;
  spacing: number;
  orientation: number;
  /** Peaks in the SAC's inner ring, whether they form a lattice, and which. */
  peaks: number;
  periodic: boolean;
  lattice: Lattice;
  border: number;
  band: number;
}

/** The thresholds `classify` applies. */
export interface Thresholds {
  grid60: number;
  grid90: number;
  border: number;
  band: number;
  /** Which score60 the grid60 threshold applies to. */
  mode: GridMode;
}

/** The default thresholds (see the module's doc for how they were chosen). */
export const DEFAULT_THRESHOLDS: Thresholds = { grid60: 0.4, grid90: 0.4, border: 0.5, band: 0.5, mode: 'deepmind' };

/** Smoothing, unvisited bins, signed maps and border-score options for `scoreMap`. */
export interface ScoreOptions {
  /** Gaussian smoothing (sigma in bins) before scoring; default none. */
  smooth?: number;
  border?: BorderOptions;
  /** Signed-map rule (fields.ts); default 'auto': signed when any bin is negative. */
  signed?: Signed;
  /** Unvisited bins in the autocorrelogram (autocorrelogram.ts); default 'exclude', 'zero' for DeepMind's exact scores. */
  unvisited?: Unvisited;
}

/**
 * All scores of one map. Infinite bins are scored as unvisited (NaN) and reported in `warning`; a
 * map without spatial variation gets NaN everywhere and `warning`.
 */
export function scoreMap(map: RateMap, opts: ScoreOptions = {}): UnitScores & { warning?: string } {
  const infinite = map.data.filter((v) => v === Infinity || v === -Infinity).length;
  const finite = infinite ? { ...map, data: map.data.map((v) => (Number.isFinite(v) ? v : NaN)) } : map;
  const note = infinite ? `${infinite} infinite bin${infinite > 1 ? 's' : ''} scored as unvisited` : undefined;
  const m = opts.smooth ? smoothMap(finite, opts.smooth) : finite;
  if (isFlat(m)) {
    const flat = m.data.some(Number.isFinite) ? 'constant map: scores are undefined' : 'no visited bin: scores are undefined';
    return {
      score60: NaN, score90: NaN, score60Minmax: NaN, spacing: NaN, orientation: NaN, peaks: 0, periodic: false, lattice: 'none',
      border: NaN, band: NaN,
      warning: note ? `${note}; ${flat}` : flat,
    };
  }
  const g = gridScores(m, { unvisited: opts.unvisited });
  const geo = gridGeometry(g.sac);
  return {
    score60: g.score60,
    score90: g.score90,
    score60Minmax: g.score60Minmax,
    spacing: geo.spacing,
    orientation: geo.orientation,
    peaks: geo.peaks,
    periodic: geo.regular,
    lattice: !geo.regular ? 'none' : geo.peaks === 6 ? 'hexagonal' : 'square',
    border: borderScore(m, { signed: opts.signed, ...opts.border }).score,
    band: bandScore(m).score,
    ...(note ? { warning: note } : {}),
  };
}

/**
 * Which spatial tests a unit's scores pass (see the module's doc): grid (a lattice and its score
 * above threshold: score60 for a hexagonal one, score90 for a square one), border, band.
 */
export function spatialTests(s: UnitScores, thresholds: Partial<Thresholds> = {}): Record<SpatialTest, boolean> {
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const gridThreshold = s.lattice === 'square' ? t.grid90 : t.grid60;
  return { grid: s.lattice !== 'none' && gridScoreOf(s, t.mode) > gridThreshold, border: s.border > t.border, band: s.band > t.band };
}

/** The grid score that goes with the unit's lattice: score90 for a square one, else score60 (of the mode). */
export function gridScoreOf(s: UnitScores, mode: GridMode = 'deepmind'): number {
  return s.lattice === 'square' ? s.score90 : mode === 'minmax' ? s.score60Minmax : s.score60;
}

/** The one class of a unit that passes `tests`: the first passed of grid, border, band, else irregular. */
export function classOf(tests: Record<SpatialTest, boolean>): CellClass {
  return SPATIAL_TESTS.find((k) => tests[k]) ?? 'irregular';
}

/**
 * The class of a unit from its scores (see the module's doc for the rule and its order).
 *
 * @example classify(scoreMap(map)) // 'grid' | 'border' | 'band' | 'irregular'
 */
export function classify(s: UnitScores, thresholds: Partial<Thresholds> = {}): CellClass {
  return classOf(spatialTests(s, thresholds));
}

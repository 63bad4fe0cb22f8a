/**
 * The analysis of a session: positions and the activity of every unit, one row per sample (a
 * lab's tracking data and spike counts, or a network run on trajectories laid end to end). Each
 * unit gets its rate map, its spatial scores and tests (classify.ts), place-field count, spatial
 * information, head-direction and speed tuning, and each score is compared with the same score of
 * the unit's own shuffles.
 *
 * Shuffles (the test labs use, e.g. Solstad et al. 2008, Langston et al. 2010): the whole activity
 * series is shifted circularly against the positions by a random number of samples, at least
 * `minShift` from either end, and every score is taken again; 100 shuffles by default, seeded.
 * The minimum shift is 10% of a trajectory, and at least 20 s where the sample interval is known.
 * The series is shifted as one session (trajectories laid end to end), not within each trajectory:
 * within a short trajectory (the place-cell network's are 20 steps, 0.4 s) a shift would hardly
 * move the activity against the positions, so the shuffled maps would be the real ones. Every
 * unit of a shuffle gets the same shift (one pass over the data for all units); each unit's null
 * is still its own activity against displaced positions.
 *
 * A score is significant when it is above the `percentile` (default 99) of its unit's shuffled
 * scores. A unit counts in a class with significance when it passes that class's threshold test
 * and its score is significant; `class` uses the thresholds alone. Shuffled maps share the arena,
 * the occupancy and the unit's distribution of activity, so a score that an outline, a ramp or
 * smooth noise earns by itself is in the null too.
 *
 * Flags beside the one spatial class: place-like (significant spatial information and 1 to 3
 * fields), head-direction-tuned (significant resultant length), speed-tuned (significant |speed
 * score|, which counts units that slow down with speed as well, as the speed cells of Kropff et
 * al. 2015 include).
 */
import { binSamples, mapsOfBinning, type Binning, type RateMapOptions } from './ratemaps.js';
import type { RateMap } from './map.js';
import { isFlat } from './map.js';
import type { Point } from './geometry.js';
import { gridScores, type GridMode } from './grid.js';
import { borderScore } from './border.js';
import { bandScore } from './band.js';
import { detectFields, mapFloor, type Signed } from './fields.js';
import type { Unvisited } from './autocorrelogram.js';
import {
  CELL_CLASSES, classOf, DEFAULT_THRESHOLDS, gridScoreOf, scoreMap, spatialTests, SPATIAL_TESTS, type CellClass, type SpatialTest, type Thresholds, type UnitScores,
} from './classify.js';
import { directionBins, resultant, spatialInformation } from './tuning.js';
import { mulberry32 } from './random.js';

/** Positions and activity, one row per sample. */
export interface Session {
  /** Positions, one per sample (world units, e.g. metres). */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** samples x units, row-major (sample t, unit u at t * units + u). */
  activity: ArrayLike<number>;
  units: number;
  /** Heading (radians) per sample; default: the direction of the step to the next position. */
  heading?: ArrayLike<number>;
  /** Speed per sample (any unit); default: the length of the step to the next position. */
  speed?: ArrayLike<number>;
  /** Samples per trajectory where the session is trajectories laid end to end (default: the whole session). */
  trajectoryLength?: number;
  /** Seconds per sample, where known: shuffles then shift by at least 20 s. */
  dt?: number;
}

/** How a session is analysed. */
export interface SessionOptions {
  /** Bins, bounds, arena outline (world units) and smoothing of the rate maps. */
  maps?: RateMapOptions;
  /** Signed-map rule (fields.ts); default 'auto'. */
  signed?: Signed;
  /** Unvisited bins in the autocorrelogram; default 'exclude'. */
  unvisited?: Unvisited;
  thresholds?: Partial<Thresholds>;
  /** Shuffles per unit (default 100; 0: no significance test). */
  shuffles?: number;
  /** Percentile of the shuffles a score must exceed to be significant (default 99). */
  percentile?: number;
  seed?: number;
}

/** The scores that are compared with shuffles. */
export const SHUFFLED_SCORES = ['grid', 'border', 'band', 'spatialInfo', 'hdLength', 'speedScore'] as const;
/** One of SHUFFLED_SCORES. */
export type ShuffledScore = (typeof SHUFFLED_SCORES)[number];

/** One unit's scores, tests, tunings and significance. */
export interface UnitAnalysis extends UnitScores {
  unit: number;
  /** The spatial tests passed on thresholds. */
  tests: Record<SpatialTest, boolean>;
  /** The class on thresholds (classify.ts). */
  class: CellClass;
  /** The class on thresholds and significance ('irregular' for every unit when there are no shuffles). */
  significantClass: CellClass;
  placeFields: number;
  /** Skaggs spatial information (bits per unit of activity; bits per spike for spike counts). */
  spatialInfo: number;
  hdLength: number;
  hdDirection: number;
  /** Pearson correlation of activity with speed (Kropff et al. 2015). */
  speedScore: number;
  /** Percentile (0-100) of each score among the unit's shuffles (NaN without shuffles). */
  percentiles: Record<ShuffledScore, number>;
  significant: Record<ShuffledScore, boolean>;
  flags: { placeLike: boolean; hdTuned: boolean; speedTuned: boolean };
}

/** A whole session's analysis. */
export interface SessionAnalysis {
  units: UnitAnalysis[];
  maps: RateMap[];
  occupancy: Float64Array;
  /** Units per class on thresholds alone, and on thresholds and significance. */
  counts: Record<CellClass, number>;
  significantCounts: Record<CellClass, number>;
  /** Units flagged place-like, head-direction- and speed-tuned. */
  flagCounts: { placeLike: number; hdTuned: number; speedTuned: number };
  shuffles: number;
  /** The percentile of its shuffles a significant score is above. */
  percentile: number;
  /** The smallest shift of the shuffles, in samples. */
  minShift: number;
}

const HD_BINS = 36;

/** The smallest circular shift of a shuffle (see the module's doc), in samples. */
export function minimumShift(samples: number, trajectoryLength = samples, dt?: number): number {
  return Math.max(1, Math.ceil(0.1 * trajectoryLength), dt ? Math.ceil(20 / dt) : 0);
}

/** The session's headings and speeds: given, or from each step to the next position. */
function motion(s: Session): { heading: ArrayLike<number>; speed: ArrayLike<number> } {
  if (s.heading && s.speed) return { heading: s.heading, speed: s.speed };
  const T = s.x.length;
  const heading = new Float64Array(T);
  const speed = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const n = Math.min(t + 1, T - 1);
    const p = n === t ? t - 1 : t;
    const [dx, dy] = [s.x[n] - s.x[p], s.y[n] - s.y[p]];
    heading[t] = Math.atan2(dy, dx);
    speed[t] = Math.hypot(dx, dy) / (s.dt ?? 1);
  }
  return { heading: s.heading ?? heading, speed: s.speed ?? speed };
}

/** Per unit, what one pass over the (shifted) data gives: maps, head-direction curves, speed products. */
interface Pass {
  maps: RateMap[];
  hdCurves: Float64Array[];
  speedDot: Float64Array;
}

function onePass(s: Session, b: Binning, hdBin: Int32Array, hdCount: Float64Array, speed: ArrayLike<number>, shift: number, smooth: number): Pass {
  const { units, activity } = s;
  const T = b.bin.length;
  const hd = new Float64Array(HD_BINS * units);
  const speedDot = new Float64Array(units);
  for (let t = 0; t < T; t++) {
    const a = (((t - shift) % T) + T) % T * units;
    const o = hdBin[t] * units;
    const v = speed[t];
    for (let u = 0; u < units; u++) {
      const x = activity[a + u];
      hd[o + u] += x;
      speedDot[u] += x * v;
    }
  }
  const hdCurves = Array.from({ length: units }, (_, u) => Float64Array.from({ length: HD_BINS }, (_, k) => (hdCount[k] > 0 ? hd[k * units + u] / hdCount[k] : NaN)));
  return { maps: mapsOfBinning(b, activity, units, shift, smooth), hdCurves, speedDot };
}

/** The scores a shuffle is compared on, for one unit's map and tunings. */
function shuffledScores(
  map: RateMap, curve: Float64Array, dot: number, u: number, ctx: Context,
): { score60: number; score90: number; border: number; band: number; spatialInfo: number; hdLength: number; speedScore: number } {
  const flat = isFlat(map);
  const g = flat ? null : gridScores(map, { unvisited: ctx.unvisited });
  const s60 = g ? (ctx.mode === 'minmax' ? g.score60Minmax : g.score60) : NaN;
  return {
    score60: s60,
    score90: g ? g.score90 : NaN,
    border: flat ? NaN : borderScore(map, { arena: ctx.borderArena, signed: ctx.signed }).score,
    band: flat ? NaN : bandScore(map).score,
    spatialInfo: infoOf(map, ctx),
    hdLength: resultant(curve.map((v) => v - ctx.seriesFloor[u])).resultantLength,
    speedScore: speedCorrelation(dot, u, ctx),
  };
}

interface Context {
  unvisited?: Unvisited;
  signed?: Signed;
  mode: GridMode;
  borderArena?: Point[];
  occupancy: Float64Array;
  seriesFloor: Float64Array;
  /** Per unit: n, sum and sum of squares of its activity, and the speed's (a shift changes none of them). */
  n: number;
  sumA: Float64Array;
  sumA2: Float64Array;
  sumS: number;
  sumS2: number;
}

function infoOf(map: RateMap, ctx: Context): number {
  const floor = mapFloor(map.data, ctx.signed);
  return spatialInformation({ ...map, data: map.data.map((v) => v - floor) }, ctx.occupancy).bitsPerUnit;
}

function speedCorrelation(dot: number, u: number, ctx: Context): number {
  const { n } = ctx;
  const sxy = dot - (ctx.sumA[u] * ctx.sumS) / n;
  const sxx = ctx.sumS2 - (ctx.sumS * ctx.sumS) / n;
  const syy = ctx.sumA2[u] - (ctx.sumA[u] * ctx.sumA[u]) / n;
  return sxy / Math.sqrt(sxx * syy);
}

/** The outline of a world-unit arena in bin coordinates of the rate maps (x = column, y = row). */
export function outlineInBins(arena: Point[], bounds: [[number, number], [number, number]], rows: number, cols: number): Point[] {
  const [[x0, x1], [y0, y1]] = bounds;
  return arena.map(([x, y]) => [((x - x0) / (x1 - x0)) * cols, ((y - y0) / (y1 - y0)) * rows] as Point);
}

/** Percentile (0-100) of `value` among the finite `null` values, and whether it is above their `percentile`. */
function against(value: number, nulls: number[], percentile: number): { percentile: number; significant: boolean } {
  const finite = nulls.filter(Number.isFinite).sort((a, b) => a - b);
  if (!Number.isFinite(value) || finite.length === 0) return { percentile: NaN, significant: false };
  const below = finite.filter((v) => v < value).length;
  const threshold = finite[Math.min(finite.length - 1, Math.floor((percentile / 100) * finite.length))];
  return { percentile: (100 * below) / finite.length, significant: value > threshold };
}

const zeroCounts = () => Object.fromEntries(CELL_CLASSES.map((c) => [c, 0])) as Record<CellClass, number>;

/**
 * Analyses a session (see the module's doc): rate maps, scores, tests and classes, tunings, and
 * each score against the unit's shuffles.
 *
 * @example
 * const a = analyseSession({ x, y, activity, units: 3, dt: 0.02 }, { maps: { bins: [20, 20] } });
 * console.log(a.counts, a.significantCounts);
 */
export function analyseSession(s: Session, opts: SessionOptions = {}): SessionAnalysis {
  const T = s.x.length;
  const U = s.units;
  if (s.y.length !== T) throw new Error(`analyseSession: ${T} x positions but ${s.y.length} y positions`);
  if (s.activity.length !== T * U) throw new Error(`analyseSession: activity has ${s.activity.length} values, expected samples x units = ${T} x ${U}`);
  const shuffles = opts.shuffles ?? 100;
  const percentile = opts.percentile ?? 99;
  const minShift = minimumShift(T, s.trajectoryLength, s.dt);
  if (shuffles > 0 && T < 2 * minShift + 1) {
    throw new Error(`analyseSession: ${T} samples are too few to shuffle by at least ${minShift} samples from either end`);
  }
  const mapOpts = opts.maps ?? {};
  const b = binSamples(s.x, s.y, mapOpts);
  const { heading, speed } = motion(s);
  const hdBin = directionBins(heading, HD_BINS);
  const hdCount = new Float64Array(HD_BINS);
  for (let t = 0; t < T; t++) hdCount[hdBin[t]]++;
  const sumA = new Float64Array(U);
  const sumA2 = new Float64Array(U);
  const low = new Float64Array(U).fill(Infinity);
  for (let t = 0; t < T; t++) {
    for (let u = 0; u < U; u++) {
      const v = s.activity[t * U + u];
      sumA[u] += v;
      sumA2[u] += v * v;
      if (v < low[u]) low[u] = v;
    }
  }
  let sumS = 0;
  let sumS2 = 0;
  for (let t = 0; t < T; t++) [sumS, sumS2] = [sumS + speed[t], sumS2 + speed[t] * speed[t]];
  const ctx: Context = {
    unvisited: opts.unvisited, signed: opts.signed, mode: opts.thresholds?.mode ?? DEFAULT_THRESHOLDS.mode,
    borderArena: mapOpts.arena ? outlineInBins(mapOpts.arena, b.bounds, b.rows, b.cols) : undefined,
    occupancy: b.occupancy,
    // a signed series is measured from its minimum, by the maps' rule (tuning.ts)
    seriesFloor: low.map((v) => mapFloor([v], opts.signed)),
    n: T, sumA, sumA2, sumS, sumS2,
  };
  const smooth = mapOpts.smooth ?? 0;
  const real = onePass(s, b, hdBin, hdCount, speed, 0, smooth);
  const nulls: Record<ShuffledScore, number[]>[] = Array.from({ length: U }, () => ({ grid: [], border: [], band: [], spatialInfo: [], hdLength: [], speedScore: [] }));
  const scores = real.maps.map((m) => scoreMap(m, { border: { arena: ctx.borderArena }, signed: opts.signed, unvisited: opts.unvisited }));
  const rand = mulberry32(opts.seed ?? 0);
  for (let k = 0; k < shuffles; k++) {
    const shift = minShift + Math.floor(rand() * (T - 2 * minShift + 1));
    const p = onePass(s, b, hdBin, hdCount, speed, shift, smooth);
    for (let u = 0; u < U; u++) {
      const n = shuffledScores(p.maps[u], p.hdCurves[u], p.speedDot[u], u, ctx);
      const own = nulls[u];
      own.grid.push(scores[u].lattice === 'square' ? n.score90 : n.score60);
      own.border.push(n.border);
      own.band.push(n.band);
      own.spatialInfo.push(n.spatialInfo);
      own.hdLength.push(n.hdLength);
      own.speedScore.push(Math.abs(n.speedScore));
    }
  }
  const units = scores.map((sc, u): UnitAnalysis => {
    const tests = spatialTests(sc, opts.thresholds);
    const hd = resultant(real.hdCurves[u].map((v) => v - ctx.seriesFloor[u]));
    const speedScore = speedCorrelation(real.speedDot[u], u, ctx);
    const values: Record<ShuffledScore, number> = {
      grid: gridScoreOf(sc, ctx.mode), border: sc.border, band: sc.band, spatialInfo: infoOf(real.maps[u], ctx),
      hdLength: hd.resultantLength, speedScore: Math.abs(speedScore),
    };
    const percentiles = {} as Record<ShuffledScore, number>;
    const significant = {} as Record<ShuffledScore, boolean>;
    for (const key of SHUFFLED_SCORES) ({ percentile: percentiles[key], significant: significant[key] } = against(values[key], nulls[u][key], percentile));
    const placeFields = isFlat(real.maps[u]) ? 0 : detectFields(real.maps[u], { signed: opts.signed }).length;
    const both = Object.fromEntries(SPATIAL_TESTS.map((t) => [t, tests[t] && significant[t]])) as Record<SpatialTest, boolean>;
    return {
      unit: u, ...sc, tests, class: classOf(tests), significantClass: classOf(both),
      placeFields, spatialInfo: values.spatialInfo, hdLength: hd.resultantLength, hdDirection: hd.preferredDirection, speedScore,
      percentiles, significant,
      flags: { placeLike: significant.spatialInfo && placeFields >= 1 && placeFields <= 3, hdTuned: significant.hdLength, speedTuned: significant.speedScore },
    };
  });
  return { units, maps: real.maps, occupancy: b.occupancy, ...tally(units), shuffles, percentile, minShift };
}

/** Units per class (on thresholds; on thresholds and significance) and per flag. */
export function tally(units: UnitAnalysis[]): Pick<SessionAnalysis, 'counts' | 'significantCounts' | 'flagCounts'> {
  const counts = zeroCounts();
  const significantCounts = zeroCounts();
  const flagCounts = { placeLike: 0, hdTuned: 0, speedTuned: 0 };
  for (const u of units) {
    counts[u.class]++;
    significantCounts[u.significantClass]++;
    for (const f of ['placeLike', 'hdTuned', 'speedTuned'] as const) if (u.flags[f]) flagCounts[f]++;
  }
  return { counts, significantCounts, flagCounts };
}

/**
 * scores.csv: one row per unit, written the same way by `gridscore` and `gridcells analyze`.
 *
 * Every unit: index, score60, score90, score60_minmax, spacing (bins), orientation (degrees),
 * ring_peaks (peaks in the autocorrelogram's inner ring), lattice (hexagonal / square / none),
 * border, band, tests (the spatial tests passed on thresholds, e.g. grid+border, or none) and
 * class (one of grid / border / band / irregular: the first test passed).
 *
 * Where positions exist (a session: tracking data, or a network run on trajectories) also:
 * significant_class (the class on thresholds and shuffles), the percentile of each score among
 * the unit's shuffles (grid_pct, border_pct, band_pct), place_fields, spatial_info and its
 * percentile, hd_length, hd_direction, hd_pct, speed_score, speed_pct, and flags (place, hd,
 * speed, joined by +, or none).
 */
import { SPATIAL_TESTS, type UnitScores, type CellClass, type SpatialTest } from './classify.js';
import type { UnitAnalysis } from './session.js';

/** The columns of every scores.csv. */
export const MAP_COLUMNS = ['index', 'score60', 'score90', 'score60_minmax', 'spacing', 'orientation', 'ring_peaks', 'lattice', 'border', 'band', 'tests', 'class'];
/** The columns added where the units come with positions (a session). */
export const SESSION_COLUMNS = [
  'significant_class', 'grid_pct', 'border_pct', 'band_pct', 'place_fields', 'spatial_info', 'spatial_info_pct',
  'hd_length', 'hd_direction', 'hd_pct', 'speed_score', 'speed_pct', 'flags',
];

/** A number as scores.csv writes it: 10 significant digits, nan for NaN, inf/-inf. */
export function csvNumber(x: number): string {
  return Number.isNaN(x) ? 'nan' : Number.isFinite(x) ? String(Number(x.toPrecision(10))) : x > 0 ? 'inf' : '-inf';
}

/** The tests passed, joined by + (or none). */
export function testsLabel(tests: Record<SpatialTest, boolean>): string {
  return SPATIAL_TESTS.filter((t) => tests[t]).join('+') || 'none';
}

/** One map's row. */
function mapRow(index: number, s: UnitScores, tests: Record<SpatialTest, boolean>, cls: CellClass): string[] {
  const f = csvNumber;
  return [String(index), f(s.score60), f(s.score90), f(s.score60Minmax), f(s.spacing), f(s.orientation), String(s.peaks), s.lattice, f(s.border), f(s.band), testsLabel(tests), cls];
}

/** scores.csv of scored maps (no positions): the MAP_COLUMNS. */
export function mapScoresCsv(rows: { index: number; scores: UnitScores; tests: Record<SpatialTest, boolean>; class: CellClass }[]): string {
  return [MAP_COLUMNS.join(','), ...rows.map((r) => mapRow(r.index, r.scores, r.tests, r.class).join(','))].join('\n') + '\n';
}

/** scores.csv of a session's units: MAP_COLUMNS then SESSION_COLUMNS. */
export function sessionScoresCsv(units: UnitAnalysis[]): string {
  const f = csvNumber;
  const rows = units.map((u) => {
    const flags = [u.flags.placeLike && 'place', u.flags.hdTuned && 'hd', u.flags.speedTuned && 'speed'].filter(Boolean).join('+') || 'none';
    const p = u.percentiles;
    return [
      ...mapRow(u.unit, u, u.tests, u.class), u.significantClass, f(p.grid), f(p.border), f(p.band), String(u.placeFields), f(u.spatialInfo), f(p.spatialInfo),
      f(u.hdLength), f(u.hdDirection), f(p.hdLength), f(u.speedScore), f(p.speedScore), flags,
    ].join(',');
  });
  return [[...MAP_COLUMNS, ...SESSION_COLUMNS].join(','), ...rows].join('\n') + '\n';
}

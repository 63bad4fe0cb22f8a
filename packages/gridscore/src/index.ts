export { type RateMap, rateMap, mapsFromArray, isFlat } from './map.js';
export { parseNpy, readNpy, encodeNpy, NpyError, type NpyArray } from './npy.js';
export { autocorrelogram, FFT_ABOVE_BINS, type Autocorrelogram, type SacOptions, type Unvisited } from './autocorrelogram.js';
export { rotate, splineCoefficients } from './rotate.js';
export { gridScores, gridScore, RING_OUTER, RING_INNER, type GridScores, type GridMode } from './grid.js';
export { type Point, type Polygon, boxPolygon, insidePolygon, distanceToSegment, walls } from './geometry.js';
export { detectFields, mapFloor, type FieldOptions, type Signed } from './fields.js';
export { borderScore, type BorderOptions, type BorderResult } from './border.js';
export { bandScore, type BandOptions, type BandResult } from './band.js';
export { gridGeometry, sacPeaks, MIN_PEAK_PROMINENCE, MIN_PEAK_VALUE, type GridGeometry, type SacPeak } from './geometry-sac.js';
export { rateMaps, binSamples, mapsOfBinning, smoothMap, type Binning, type RateMapOptions, type RateMapsResult } from './ratemaps.js';
export { spatialInformation, headDirectionTuning, directionBins, resultant, speedTuning } from './tuning.js';
export {
  scoreMap, classify, spatialTests, classOf, gridScoreOf, DEFAULT_THRESHOLDS, SPATIAL_TESTS, CELL_CLASSES,
  type UnitScores, type Thresholds, type CellClass, type ScoreOptions, type Lattice, type SpatialTest,
} from './classify.js';
export { mulberry32 } from './random.js';
export {
  analyseSession, tally, minimumShift, outlineInBins, SHUFFLED_SCORES, type Session, type SessionOptions, type SessionAnalysis, type UnitAnalysis, type ShuffledScore,
} from './session.js';
export { mosaicPng, type MosaicOptions } from './figures.js';
export { MAP_COLUMNS, SESSION_COLUMNS, csvNumber, testsLabel, mapScoresCsv, sessionScoresCsv } from './csv.js';
export { analyseSessionThreads } from './session-threads.js';

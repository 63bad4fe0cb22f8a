export { type RateMap, rateMap, mapsFromArray, isFlat } from './map.js';
export { parseNpy, readNpy, encodeNpy, NpyError, type NpyArray } from './npy.js';
export { autocorrelogram, type Autocorrelogram } from './autocorrelogram.js';
export { rotate, splineCoefficients } from './rotate.js';
export { gridScores, gridScore, RING_OUTER, RING_INNER, type GridScores, type GridMode } from './grid.js';

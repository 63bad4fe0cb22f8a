/**
 * Border score after Solstad et al. (Science 2008): (cM − dM) / (cM + dM).
 *
 * - Fields: `detectFields` (rate >= 0.3 x peak, 4-connected, at least 1% and at most 50% of the
 *   visited bins; the upper bound keeps linear ramps out, see fields.ts). Signed maps (tanh
 *   units) are measured from their minimum, in the fields and in the rate weights of dM.
 * - cM, the wall coverage: for each wall of the arena (any simple polygon, not only a square),
 *   its wall bins are the visited bins inside the arena whose centres lie within one bin of that
 *   wall; a field's coverage of the wall is the fraction of those bins it contains. cM is the
 *   largest coverage over fields and walls.
 * - dM, the mean firing distance: over all field bins, the distance from the bin centre to the
 *   nearest wall, weighted by rate, divided by the largest such distance of any bin in the arena
 *   (half the side in a square box, as in Solstad et al.).
 * The score runs from −1 (firing at the centre) to +1 (a thin field along a whole wall). A map
 * with no field gives −1; a map without any spatial variation gives NaN.
 */
import { binCentre, boxPolygon, distanceToSegment, insidePolygon, walls, type Polygon } from './geometry.js';
import { detectFields, mapFloor, type FieldOptions } from './fields.js';
import { isFlat, type RateMap } from './map.js';

/** Field detection settings and the arena outline (bin coordinates) for the border score. */
export interface BorderOptions extends FieldOptions {
  /** Arena outline in bin coordinates (default: the map's box). */
  arena?: Polygon;
}

/** The border score with its parts: wall coverage cM, mean distance dM, and the fields found. */
export interface BorderResult {
  score: number;
  coverage: number;
  meanDistance: number;
  fields: number;
}

/**
 * Solstad et al. (2008) border score (cM - dM) / (cM + dM) for any polygonal arena; NaN for a flat map.
 *
 * @example borderScore(map, { arena: boxPolygon(20, 20) }).score
 */
export function borderScore(map: RateMap, opts: BorderOptions = {}): BorderResult {
  const { height: h, width: w, data } = map;
  if (isFlat(map)) return { score: NaN, coverage: NaN, meanDistance: NaN, fields: 0 };
  const arena = opts.arena ?? boxPolygon(h, w);
  const segs = walls(arena);
  const inside = new Uint8Array(h * w);
  const nearest = new Float64Array(h * w);
  const wallBins: number[][] = segs.map(() => []);
  let maxDist = 0;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const k = i * w + j;
      const c = binCentre(i, j);
      if (!insidePolygon(c, arena)) continue;
      inside[k] = 1;
      let d = Infinity;
      segs.forEach(([a, b], s) => {
        const ds = distanceToSegment(c, a, b);
        d = Math.min(d, ds);
        if (ds <= 1 && Number.isFinite(data[k])) wallBins[s].push(k);
      });
      nearest[k] = d;
      maxDist = Math.max(maxDist, d);
    }
  }
  const fields = detectFields(map, opts, inside);
  const floor = mapFloor(data, opts.signed, inside);
  if (fields.length === 0) return { score: -1, coverage: 0, meanDistance: NaN, fields: 0 };
  let coverage = 0;
  for (const f of fields) {
    const set = new Set(f);
    for (const wb of wallBins) {
      if (wb.length === 0) continue;
      const covered = wb.reduce((n, k) => n + (set.has(k) ? 1 : 0), 0);
      coverage = Math.max(coverage, covered / wb.length);
    }
  }
  let num = 0;
  let den = 0;
  for (const f of fields) {
    for (const k of f) {
      num += (data[k] - floor) * nearest[k];
      den += data[k] - floor;
    }
  }
  const meanDistance = num / den / maxDist;
  return { score: (coverage - meanDistance) / (coverage + meanDistance), coverage, meanDistance, fields: fields.length };
}

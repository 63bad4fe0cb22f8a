/**
 * A rate map: H x W values, row-major, axis 0 = row = y, axis 1 = column = x (the layout of
 * `np.save(maps)` with maps[unit, row, col]). NaN marks an unvisited bin.
 */
export interface RateMap {
  data: Float64Array;
  height: number;
  width: number;
}

/** A rate map from row-major values (rows = y, NaN = unvisited). @example rateMap(values, 20) // 20 x 20 */
export function rateMap(data: ArrayLike<number>, height: number, width = height): RateMap {
  if (data.length !== height * width) {
    throw new Error(`rateMap: ${data.length} values do not fill a ${height} x ${width} map`);
  }
  return { data: Float64Array.from(data), height, width };
}

/** Splits a (units, H, W) or (H, W) array into maps. */
export function mapsFromArray(data: ArrayLike<number>, shape: readonly number[], where = 'maps'): RateMap[] {
  if (shape.length === 2) return [rateMap(data, shape[0], shape[1])];
  if (shape.length !== 3) {
    throw new Error(`${where}: expected shape (units, H, W) or (H, W), got (${shape.join(', ')}) with ${shape.length} dimensions`);
  }
  const [units, h, w] = shape;
  const out: RateMap[] = [];
  for (let u = 0; u < units; u++) {
    out.push({ data: Float64Array.from({ length: h * w }, (_, i) => data[u * h * w + i]), height: h, width: w });
  }
  return out;
}

/** True when the map has no finite value, or all finite values are equal (no spatial structure). */
export function isFlat(map: RateMap): boolean {
  let first = NaN;
  for (const v of map.data) {
    if (!Number.isFinite(v)) continue;
    if (Number.isNaN(first)) first = v;
    else if (v !== first) return false;
  }
  return true;
}

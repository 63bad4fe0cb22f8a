/**
 * Arena walls in map coordinates: x = column, y = row, in bins, with bin (i, j) centred at
 * (j + 0.5, i + 0.5). A square map of side n is the box [0, n] x [0, n].
 */
export type Point = [number, number];

/** A simple polygon, vertices in order (either winding). */
export type Polygon = Point[];

/** The outline of an H x W map's box in bin coordinates (x = column, y = row). */
export function boxPolygon(height: number, width: number): Polygon {
  return [[0, 0], [width, 0], [width, height], [0, height]];
}

/** Even-odd ray test: is p inside the polygon? */
export function insidePolygon(p: Point, poly: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Distance from p to the segment a-b. */
export function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** The walls of a polygon as segments. */
export function walls(poly: Polygon): [Point, Point][] {
  return poly.map((p, i) => [p, poly[(i + 1) % poly.length]]);
}

/** Centre of bin (row i, col j). */
export function binCentre(i: number, j: number): Point {
  return [j + 0.5, i + 0.5];
}

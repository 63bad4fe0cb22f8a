/**
 * Arenas: the 2-D enclosures the agent moves in, centred on the origin (so a linear readout
 * without bias can report position). Units are metres.
 *
 * Every arena answers `contains(p)`, `wallDistances(p)` (distance to each wall), `nearestWall(p)`
 * (distance and the inward normal of the closest wall), `area` and `bbox`. Polygons are simple
 * polygons given by their vertices; a circle has one (curved) wall.
 */
import { distanceToSegment, insidePolygon, type Point } from '@gridcells/gridscore';

export type { Point };

/** A 2D enclosure in metres: containment, distances to its walls, the nearest wall, its outline and bounding box. */
export interface Arena {
  readonly kind: string;
  readonly area: number;
  /** [[xmin, xmax], [ymin, ymax]] */
  readonly bbox: [[number, number], [number, number]];
  contains(p: Point): boolean;
  wallDistances(p: Point): number[];
  /** Distance to the closest wall and the unit normal pointing from that wall into the arena. */
  nearestWall(p: Point): { distance: number; normal: Point };
  /** An outline for analysis (a circle as a 128-gon). */
  outline(): Point[];
}

/** An arena bounded by a simple polygon (square, rectangle, triangle, hexagon, any polygon). */
export class PolygonArena implements Arena {
  readonly kind: string;
  readonly vertices: Point[];
  readonly area: number;
  readonly bbox: [[number, number], [number, number]];
  private readonly normals: Point[];

  constructor(vertices: Point[], kind = 'polygon') {
    if (vertices.length < 3) throw new Error(`arena: a polygon needs at least 3 vertices, got ${vertices.length}`);
    for (const [i, v] of vertices.entries()) {
      if (!Number.isFinite(v[0]) || !Number.isFinite(v[1])) throw new Error(`arena: vertex ${i} is not a finite point: ${JSON.stringify(v)}`);
    }
    if (!isSimple(vertices)) throw new Error('arena: the polygon crosses itself (its edges must not intersect)');
    let a2 = 0;
    vertices.forEach((p, i) => {
      const q = vertices[(i + 1) % vertices.length];
      a2 += p[0] * q[1] - q[0] * p[1];
    });
    if (a2 === 0) throw new Error('arena: the polygon has zero area');
    this.kind = kind;
    this.vertices = vertices.map((v) => [v[0], v[1]] as Point);
    this.area = Math.abs(a2) / 2;
    const xs = vertices.map((v) => v[0]);
    const ys = vertices.map((v) => v[1]);
    this.bbox = [[Math.min(...xs), Math.max(...xs)], [Math.min(...ys), Math.max(...ys)]];
    const ccw = a2 > 0;
    // inward normal of each edge: left of the edge direction for a counter-clockwise polygon
    this.normals = this.vertices.map((p, i) => {
      const q = this.vertices[(i + 1) % this.vertices.length];
      const len = Math.hypot(q[0] - p[0], q[1] - p[1]);
      const n: Point = [-(q[1] - p[1]) / len, (q[0] - p[0]) / len];
      return ccw ? n : [-n[0], -n[1]];
    });
  }

  contains(p: Point): boolean {
    return insidePolygon(p, this.vertices);
  }

  wallDistances(p: Point): number[] {
    return this.vertices.map((a, i) => distanceToSegment(p, a, this.vertices[(i + 1) % this.vertices.length]));
  }

  nearestWall(p: Point): { distance: number; normal: Point } {
    const d = this.wallDistances(p);
    let k = 0;
    for (let i = 1; i < d.length; i++) if (d[i] < d[k]) k = i;
    return { distance: d[k], normal: this.normals[k] };
  }

  outline(): Point[] {
    return this.vertices;
  }
}

/** A circular arena. */
export class CircleArena implements Arena {
  readonly kind = 'circle';
  readonly area: number;
  readonly bbox: [[number, number], [number, number]];

  constructor(readonly radius: number) {
    if (!(radius > 0)) throw new Error(`arena: a circle's radius must be > 0, got ${radius}`);
    this.area = Math.PI * radius * radius;
    this.bbox = [[-radius, radius], [-radius, radius]];
  }

  contains(p: Point): boolean {
    return Math.hypot(p[0], p[1]) < this.radius;
  }

  wallDistances(p: Point): number[] {
    return [Math.abs(this.radius - Math.hypot(p[0], p[1]))];
  }

  nearestWall(p: Point): { distance: number; normal: Point } {
    const r = Math.hypot(p[0], p[1]);
    return { distance: Math.abs(this.radius - r), normal: r > 0 ? [-p[0] / r, -p[1] / r] : [1, 0] };
  }

  outline(): Point[] {
    return Array.from({ length: 128 }, (_, k) => [this.radius * Math.cos((2 * Math.PI * k) / 128), this.radius * Math.sin((2 * Math.PI * k) / 128)] as Point);
  }
}

function segmentsCross(a: Point, b: Point, c: Point, d: Point): boolean {
  const o = (p: Point, q: Point, r: Point) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return o(a, b, c) * o(a, b, d) < 0 && o(c, d, a) * o(c, d, b) < 0;
}

function isSimple(v: Point[]): boolean {
  const n = v.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue; // adjacent through the closing edge
      if (segmentsCross(v[i], v[(i + 1) % n], v[j], v[(j + 1) % n])) return false;
    }
  }
  return true;
}

/** Regular polygon with `sides` vertices on a circle of `radius`, the first at angle `phase`. */
function regular(sides: number, radius: number, phase: number): Point[] {
  return Array.from({ length: sides }, (_, k) => {
    const a = phase + (2 * Math.PI * k) / sides;
    return [radius * Math.cos(a), radius * Math.sin(a)] as Point;
  });
}

/** An arena as a config describes it. @example makeArena({ kind: 'hexagon', side: 0.6 }) */
export type ArenaSpec =
  | { kind: 'square'; side: number }
  | { kind: 'rectangle'; width: number; height: number }
  | { kind: 'triangle'; side: number }
  | { kind: 'hexagon'; side: number }
  | { kind: 'circle'; radius: number }
  | { kind: 'polygon'; vertices: Point[] };

/** Builds an arena centred on the origin (a triangle and hexagon on their centroid). */
export function makeArena(spec: ArenaSpec): Arena {
  switch (spec.kind) {
    case 'square':
      return new PolygonArena(rect(spec.side, spec.side), 'square');
    case 'rectangle':
      return new PolygonArena(rect(spec.width, spec.height), 'rectangle');
    case 'triangle':
      // equilateral, one side horizontal at the bottom; circumradius side / sqrt(3)
      return new PolygonArena(regular(3, spec.side / Math.sqrt(3), -Math.PI / 2 + Math.PI), 'triangle');
    case 'hexagon':
      return new PolygonArena(regular(6, spec.side, 0), 'hexagon');
    case 'circle':
      return new CircleArena(spec.radius);
    case 'polygon':
      return new PolygonArena(spec.vertices, 'polygon');
  }
}

function rect(w: number, h: number): Point[] {
  if (!(w > 0 && h > 0)) throw new Error(`arena: sides must be > 0, got ${w} x ${h}`);
  return [[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]];
}

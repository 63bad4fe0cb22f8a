/**
 * Grid spacing and orientation from the autocorrelogram's central peaks (as in Hafting et al.
 * 2005 / Sargolini et al. 2006): local maxima of the SAC (3 x 3 neighbourhood, value > 0, away
 * from the centre), refined to sub-bin position by a parabola through each axis, sorted by
 * distance from the centre. The inner ring is every peak within 1.3x the nearest peak's distance
 * (the six of a hexagonal grid; the four sides of a square lattice).
 *
 * - spacing: mean distance of the inner-ring peaks, in bins;
 * - orientation: the circular mean of the inner-ring peak angles modulo 60 degrees, in [0, 60),
 *   angles from +x (columns) towards +y (rows);
 * - peaks: the number of peaks in the inner ring; `regular` says whether the ring looks like a
 *   lattice: 4 or 6 peaks, their distances within 25% of their mean, the angular gaps between
 *   neighbours within 20 degrees of 360/count, and a spacing of at most 2/3 of the map side (so at
 *   least one and a half periods fit in the arena). It is the periodicity check that `classify`
 *   asks of a grid cell, so smooth blobs and ramps with high scores are not called grids.
 */
import type { Autocorrelogram } from './autocorrelogram.js';

export interface SacPeak {
  dx: number;
  dy: number;
  distance: number;
  angle: number;
  value: number;
}

export interface GridGeometry {
  spacing: number;
  orientation: number;
  peaks: number;
  regular: boolean;
  ring: SacPeak[];
}

export function sacPeaks(sac: Autocorrelogram, minDistance = 1.5): SacPeak[] {
  const { data, height: H, width: W } = sac;
  const cy = (H - 1) / 2;
  const cx = (W - 1) / 2;
  const peaks: SacPeak[] = [];
  for (let i = 1; i < H - 1; i++) {
    for (let j = 1; j < W - 1; j++) {
      const v = data[i * W + j];
      if (!(v > 0)) continue;
      let isMax = true;
      for (let di = -1; di <= 1 && isMax; di++) {
        for (let dj = -1; dj <= 1; dj++) {
          if ((di || dj) && data[(i + di) * W + j + dj] >= v && (di < 0 || (di === 0 && dj < 0) || data[(i + di) * W + j + dj] > v)) {
            isMax = false;
            break;
          }
        }
      }
      if (!isMax) continue;
      const l = data[i * W + j - 1], r = data[i * W + j + 1], u = data[(i - 1) * W + j], d = data[(i + 1) * W + j];
      const ox = l - 2 * v + r < 0 ? (0.5 * (l - r)) / (l - 2 * v + r) : 0;
      const oy = u - 2 * v + d < 0 ? (0.5 * (u - d)) / (u - 2 * v + d) : 0;
      const dx = j + ox - cx;
      const dy = i + oy - cy;
      const distance = Math.hypot(dx, dy);
      if (distance < minDistance) continue;
      peaks.push({ dx, dy, distance, angle: (Math.atan2(dy, dx) * 180) / Math.PI, value: v });
    }
  }
  return peaks.sort((a, b) => a.distance - b.distance);
}

export function gridGeometry(sac: Autocorrelogram): GridGeometry {
  const peaks = sacPeaks(sac);
  if (peaks.length === 0) return { spacing: NaN, orientation: NaN, peaks: 0, regular: false, ring: [] };
  const ring = peaks.filter((p) => p.distance <= 1.3 * peaks[0].distance);
  const spacing = ring.reduce((s, p) => s + p.distance, 0) / ring.length;
  // circular mean with period 60 degrees: average the unit vectors of 6 x angle
  let c = 0;
  let s = 0;
  for (const p of ring) {
    const a = (6 * p.angle * Math.PI) / 180;
    c += Math.cos(a);
    s += Math.sin(a);
  }
  const orientation = ((((Math.atan2(s, c) * 180) / Math.PI / 6) % 60) + 60) % 60;
  const side = (sac.width + 1) / 2;
  const angles = ring.map((p) => (p.angle + 360) % 360).sort((a, b) => a - b);
  const gaps = angles.map((a, i) => (i + 1 < angles.length ? angles[i + 1] - a : angles[0] + 360 - a));
  const regular =
    (ring.length === 4 || ring.length === 6) &&
    ring.every((p) => Math.abs(p.distance - spacing) <= 0.25 * spacing) &&
    gaps.every((g) => Math.abs(g - 360 / ring.length) <= 20) &&
    spacing <= (2 / 3) * side;
  return { spacing, orientation, peaks: ring.length, regular, ring };
}

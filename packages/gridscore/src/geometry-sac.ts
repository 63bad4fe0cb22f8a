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
 *   lattice: 4 or 6 peaks, their distances within 25% of their mean, a spacing of at most 3/4 of
 *   the map's shorter side (so at least a period and a third fit in the arena), every ring peak
 *   an autocorrelation of at least 0.25 and separated from the central peak by a trough (it
 *   rises above the lowest autocorrelation on the straight line from the centre to it, its
 *   `prominence`), and the angular gaps between neighbouring peaks near 360/count. A hexagonal
 *   ring may have gaps within 12 degrees of 60 and troughs of 0.3; a square one, gaps within 10
 *   degrees of 90 and troughs of 0.5 (four peaks are what chance gives a noisy map most often).
 *
 * It is the periodicity check that `classify` asks of a grid cell, so that smooth blobs, ramps and
 * noise with high scores are not called grids, while real recorded grids, with partial rings,
 * noise and fields against the walls, are. The numbers, measured: the five real mouse grid
 * cells of the test fixtures have ring gaps within 8.4 degrees of 60, troughs of 0.31 and more,
 * peaks of 0.45 and more, and spacings up to 0.67 of the side; every synthetic grid of the
 * validation set has gaps within 2 degrees and troughs of 0.8 and more; ramps and noisy maps of
 * RNN units have troughs of 0.04 or less. Lightly smoothed white noise (20 x 20, sigma 0.3-1.3
 * bins) passes the whole grid test (this check and a score above 0.4) in 3 of 1200 maps (4 under
 * the check this replaced: gaps within 20 degrees, troughs of 0.5, spacing 2/3 of the side, which
 * called two of the five real grids grid and kept sheared network lattices with gaps 15 degrees
 * off). Counts must still be read
 * against a null: the untrained network and each unit's shuffles.
 */
import type { Autocorrelogram } from './autocorrelogram.js';

/** A local maximum of an autocorrelogram: offset from the centre (bins), distance, angle (degrees), value, prominence. */
export interface SacPeak {
  dx: number;
  dy: number;
  distance: number;
  angle: number;
  value: number;
  /** value minus the lowest autocorrelation on the line from the centre to the peak. */
  prominence: number;
}

/** Minimum prominence of every ring peak of a hexagonal lattice (see the module's doc); a square one needs 0.5. */
export const MIN_PEAK_PROMINENCE = 0.3;
/** Minimum autocorrelation of every ring peak of a lattice. */
export const MIN_PEAK_VALUE = 0.25;
/** Per ring size: the largest angular gap deviation (degrees) and the smallest prominence. */
const LATTICE_RULES: Record<number, { gap: number; prominence: number }> = { 6: { gap: 12, prominence: MIN_PEAK_PROMINENCE }, 4: { gap: 10, prominence: 0.5 } };

function prominenceOf(sac: Autocorrelogram, dx: number, dy: number, value: number): number {
  const { data, width: W, height: H } = sac;
  const cy = (H - 1) / 2;
  const cx = (W - 1) / 2;
  let lowest = Infinity;
  // skip the central peak's own slope and the peak's: sample the middle of the segment
  for (let s = 0.15; s <= 0.85 + 1e-9; s += 0.02) {
    const i = Math.round(cy + s * dy);
    const j = Math.round(cx + s * dx);
    lowest = Math.min(lowest, data[i * W + j]);
  }
  return value - lowest;
}

/** The lattice read off an autocorrelogram: spacing (bins), orientation (degrees), ring peaks and whether they are regular. */
export interface GridGeometry {
  spacing: number;
  orientation: number;
  peaks: number;
  regular: boolean;
  ring: SacPeak[];
}

/** The autocorrelogram's local maxima away from the centre, nearest first. */
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
      peaks.push({ dx, dy, distance, angle: (Math.atan2(dy, dx) * 180) / Math.PI, value: v, prominence: prominenceOf(sac, dx, dy, v) });
    }
  }
  return peaks.sort((a, b) => a.distance - b.distance);
}

/** Spacing, orientation and regularity of the inner ring of peaks (see the module's doc). */
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
  const side = Math.min(sac.width + 1, sac.height + 1) / 2;
  const angles = ring.map((p) => (p.angle + 360) % 360).sort((a, b) => a - b);
  const gaps = angles.map((a, i) => (i + 1 < angles.length ? angles[i + 1] - a : angles[0] + 360 - a));
  const rule = LATTICE_RULES[ring.length];
  const regular =
    rule !== undefined &&
    ring.every((p) => Math.abs(p.distance - spacing) <= 0.25 * spacing) &&
    gaps.every((g) => Math.abs(g - 360 / ring.length) <= rule.gap) &&
    spacing <= 0.75 * side &&
    ring.every((p) => p.prominence >= rule.prominence && p.value >= MIN_PEAK_VALUE);
  return { spacing, orientation, peaks: ring.length, regular, ring };
}

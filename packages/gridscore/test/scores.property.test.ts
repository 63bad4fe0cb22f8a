/**
 * Properties of the scores that hold whatever the map: invariance to a positive gain, near-
 * invariance of score60 when a hexagonal grid is rotated by 60 degrees, and a synthetic grid's
 * spacing and orientation measured within one bin and 3 degrees.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { gridScores, gridGeometry, scoreMap, rateMap } from '@gridcells/gridscore';
import { readScores, mapOf } from './validation.js';
import { hexGrid, render } from './synthetic.js';

const rows = readScores().filter((r) => r.family !== 'degenerate');

describe('scores are invariant to scaling the map by a positive constant', () => {
  it('every score of every validation map', () => {
    fc.assert(fc.property(fc.constantFrom(...rows), fc.double({ min: 0.01, max: 100, noNaN: true }), (row, c) => {
      const m = mapOf(row);
      const scaled = rateMap(m.data.map((v) => v * c), m.height, m.width);
      const a = scoreMap(m);
      const b = scoreMap(scaled);
      // spacing and orientation too, where the autocorrelogram has a lattice (elsewhere a peak
      // can tie with its neighbour and flip on a rounding difference)
      const keys = ['score60', 'score90', 'score60Minmax', 'border', 'band', ...(a.periodic ? (['spacing', 'orientation'] as const) : [])] as const;
      for (const key of keys) {
        if (Number.isNaN(a[key])) expect(b[key]).toBeNaN();
        else expect(Math.abs(a[key] - b[key]), key).toBeLessThan(1e-6);
      }
    }), { numRuns: 20 });
  });
});

describe('rotating a hexagonal grid by 60 degrees leaves score60 near-invariant', () => {
  it('random spacing, orientation and phase; rotation about the map centre', () => {
    fc.assert(fc.property(
      fc.constantFrom(20, 32, 40), fc.double({ min: 0.25, max: 0.45, noNaN: true }), fc.double({ min: 0, max: 60, noNaN: true }),
      fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }),
      (n, frac, orientation, px, py) => {
        const f = hexGrid(frac * n, orientation, [px, py], 0.2);
        const c = n / 2;
        const t = Math.PI / 3;
        // the same function read at coordinates rotated by 60 degrees about the centre
        const rotated = (x: number, y: number) => f(c + (x - c) * Math.cos(t) - (y - c) * Math.sin(t), c + (x - c) * Math.sin(t) + (y - c) * Math.cos(t));
        const s0 = gridScores(render(n, f)).score60;
        const s1 = gridScores(render(n, rotated)).score60;
        expect(s0).toBeGreaterThan(0.8);
        expect(Math.abs(s0 - s1)).toBeLessThan(0.15);
      }), { numRuns: 20 });
  });
});

describe('spacing and orientation of a synthetic hexagonal grid', () => {
  it('are measured within one bin and 3 degrees', () => {
    fc.assert(fc.property(
      fc.constantFrom(20, 32, 40), fc.double({ min: 0.2, max: 0.5, noNaN: true }), fc.double({ min: 0, max: 60, noNaN: true, maxExcluded: true }),
      fc.double({ min: 0, max: 10, noNaN: true }),
      (n, frac, orientation, phase) => {
        const spacing = frac * n;
        const geo = gridGeometry(gridScores(render(n, hexGrid(spacing, orientation, [phase, 2 * phase]))).sac);
        expect(Math.abs(geo.spacing - spacing)).toBeLessThan(1);
        const dAngle = Math.abs(((geo.orientation - orientation + 90) % 60 + 60) % 60 - 30);
        expect(dAngle).toBeLessThan(3);
        expect(geo.peaks).toBe(6);
        expect(geo.regular).toBe(true);
      }), { numRuns: 40 });
  });
  it('match the validation generator: spacing_bins, and orientation_deg + 30 (its angle is the wave vector\'s)', () => {
    for (const row of readScores().filter((r) => r.family === 'hex' && r.variant === 'clean')) {
      const geo = gridGeometry(gridScores(mapOf(row)).sac);
      expect(Math.abs(geo.spacing - Number(row.spacing_bins))).toBeLessThan(1);
      const want = (Number(row.orientation_deg) + 30) % 60;
      expect(Math.abs(((geo.orientation - want + 90) % 60 + 60) % 60 - 30)).toBeLessThan(3);
    }
  });
});

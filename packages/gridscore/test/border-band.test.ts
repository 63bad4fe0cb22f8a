/**
 * Border and band scores separate the families they are meant to, on the validation set and on
 * synthetic maps, and keep linear ramps out.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { borderScore, bandScore, boxPolygon, distanceToSegment, rateMap } from '@gridcells/gridscore';
import type { Polygon } from '@gridcells/gridscore';
import { readScores, mapOf, num } from './validation.js';
import { band, hexGrid, placeField, ramp, render, wallField } from './synthetic.js';

const rows = readScores();
const isBorder = (f: string) => f === 'border' || f === 'corner';

describe('border score on the validation set', () => {
  const scored = rows.map((r) => ({ r, b: borderScore(mapOf(r)).score }));
  it('at threshold 0.5: >= 80% of border/corner maps above, <= 10% of the others', () => {
    const borders = scored.filter((s) => isBorder(s.r.family));
    const others = scored.filter((s) => !isBorder(s.r.family));
    const hit = borders.filter((s) => s.b > 0.5).length / borders.length;
    const false_ = others.filter((s) => s.b > 0.5).length / others.length;
    console.log(`border score > 0.5: ${(hit * 100).toFixed(0)}% of ${borders.length} border/corner maps, ${(false_ * 100).toFixed(0)}% of ${others.length} others`);
    expect(hit).toBeGreaterThanOrEqual(0.8);
    expect(false_).toBeLessThanOrEqual(0.1);
  });
  it('agrees with opexebo given peaks (a cross-check, reported, not a target)', () => {
    const pairs = scored.filter((s) => Number.isFinite(s.b) && Number.isFinite(num(s.r.opexebo_border_given_peaks)));
    const x = pairs.map((p) => p.b);
    const y = pairs.map((p) => num(p.r.opexebo_border_given_peaks));
    const mx = x.reduce((a, b) => a + b) / x.length;
    const my = y.reduce((a, b) => a + b) / y.length;
    let sxy = 0, sxx = 0, syy = 0;
    x.forEach((v, i) => { sxy += (v - mx) * (y[i] - my); sxx += (v - mx) ** 2; syy += (y[i] - my) ** 2; });
    const r = sxy / Math.sqrt(sxx * syy);
    const agree = pairs.filter((p) => p.b > 0.5 === num(p.r.opexebo_border_given_peaks) > 0.5).length / pairs.length;
    console.log(`border vs opexebo_border_given_peaks: Pearson r = ${r.toFixed(3)} over ${pairs.length} maps; same side of 0.5 on ${(agree * 100).toFixed(0)}%`);
    expect(r).toBeGreaterThan(0.5);
  });
});

describe('border score on synthetic maps', () => {
  it('a wall field scores above 0.5; a central place field, a grid and ramps score below', () => {
    fc.assert(fc.property(fc.constantFrom(20, 32, 40), fc.double({ min: 0.6, max: 2.5, noNaN: true }), fc.double({ min: 0, max: 360, noNaN: true }), (n, depth, dir) => {
      expect(borderScore(render(n, wallField(n, depth * n / 20))).score).toBeGreaterThan(0.5);
      expect(borderScore(render(n, placeField(n / 2, n / 2, n / 8))).score).toBeLessThan(0.5);
      expect(borderScore(render(n, hexGrid(n / 3, dir % 60))).score).toBeLessThan(0.5);
      // a ramp, linear to step-like: a "field" covering half the box must stay well below threshold
      expect(borderScore(render(n, ramp(dir, n, 0.5 + (dir % 8)))).score).toBeLessThan(0.25);
    }), { numRuns: 20 });
  });
  it('works for a triangular arena: a field along one side scores high, a central field low', () => {
    const n = 30;
    const tri: Polygon = [[0, n], [n, n], [n / 2, n - (Math.sqrt(3) / 2) * n]];
    const mask = (f: (x: number, y: number) => number) => (x: number, y: number) => (insideTri(x, y) ? f(x, y) : NaN);
    const insideTri = (x: number, y: number) => y <= n && y >= n - Math.sqrt(3) * Math.min(x, n - x);
    const bottomWall = render(n, mask((_, y) => Math.exp(-(n - y) / 1.5)));
    const centre = render(n, mask(placeField(n / 2, n - n / (2 * Math.sqrt(3)), 3)));
    expect(borderScore(bottomWall, { arena: tri }).score).toBeGreaterThan(0.5);
    expect(borderScore(centre, { arena: tri }).score).toBeLessThan(0);
    // a field along a slanted side is a border field only when the walls are the triangle's
    const slanted = render(n, mask((x, y) => Math.exp(-distanceToSegment([x, y], tri[0], tri[2]) / 1.5)));
    expect(borderScore(slanted, { arena: tri }).score).toBeGreaterThan(0.5);
    expect(borderScore(slanted, { arena: boxPolygon(n, n) }).score).toBeLessThan(0.5);
  });
  it('a constant map gives NaN, a map with one spike and nothing else gives -1 (no field)', () => {
    expect(borderScore(rateMap(new Array(400).fill(3), 20)).score).toBeNaN();
    const spike = new Array(400).fill(0);
    spike[210] = 1;
    expect(borderScore(rateMap(spike, 20)).score).toBe(-1);
  });
});

describe('band score', () => {
  it('separates synthetic bands (> 0.5) from grids, border fields and place fields (< 0.5)', () => {
    fc.assert(fc.property(fc.constantFrom(20, 32, 40), fc.double({ min: 0.15, max: 0.6, noNaN: true }), fc.double({ min: 0, max: 180, noNaN: true }), fc.double({ min: 0, max: 6, noNaN: true }),
      (n, frac, dir, phase) => {
        const b = bandScore(render(n, band(frac * n, dir, phase)));
        expect(b.score).toBeGreaterThan(0.5);
        expect(Math.abs(b.wavelength - frac * n)).toBeLessThan(0.05 * frac * n);
        expect(bandScore(render(n, hexGrid(frac * n, dir % 60))).score).toBeLessThan(0.5);
        expect(bandScore(render(n, wallField(n, 2))).score).toBeLessThan(0.5);
        expect(bandScore(render(n, placeField(n * frac + 2, n / 2, n / 8))).score).toBeLessThan(0.5);
        expect(bandScore(render(n, ramp(dir, n, 0.5 + (dir % 8)))).score).toBeLessThan(0.5);
      }), { numRuns: 20 });
  });
  it('separates the validation set: every band map above 0.5, every other family below', () => {
    for (const r of rows.filter((r) => r.family !== 'degenerate')) {
      const s = bandScore(mapOf(r)).score;
      if (r.family === 'band') expect(s, `${r.file}[${r.index}]`).toBeGreaterThan(0.5);
      else expect(s, `${r.file}[${r.index}] ${r.family}`).toBeLessThan(0.5);
    }
  });
});

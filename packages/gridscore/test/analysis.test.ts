/**
 * Rate maps, tuning statistics and classification, against closed forms and
 * constructed examples.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  rateMaps, smoothMap, rateMap, spatialInformation, headDirectionTuning, speedTuning, scoreMap, classify,
  gridScore, mulberry32, mosaicPng, gridGeometry, gridScores, MIN_PEAK_PROMINENCE,
} from '@gridcells/gridscore';
import { PNG } from 'pngjs';
import { interpolateViridis } from 'd3-scale-chromatic';
import { readScores, mapOf } from './validation.js';
import { hexGrid, ramp, render } from './synthetic.js';

/** A random walk in the unit box, reflected at the walls. */
function walk(T: number, seed: number): { x: Float64Array; y: Float64Array } {
  const rand = mulberry32(seed);
  const x = new Float64Array(T);
  const y = new Float64Array(T);
  let px = 0.5, py = 0.5, h = 0;
  for (let t = 0; t < T; t++) {
    h += (rand() - 0.5) * 1.2;
    px += 0.03 * Math.cos(h);
    py += 0.03 * Math.sin(h);
    if (px < 0 || px > 1) { px = Math.min(1, Math.max(0, px)); h = Math.PI - h; }
    if (py < 0 || py > 1) { py = Math.min(1, Math.max(0, py)); h = -h; }
    x[t] = px;
    y[t] = py;
  }
  return { x, y };
}

describe('rate maps', () => {
  it('average activity per bin (row = y, column = x); unvisited bins are NaN', () => {
    const x = [0.05, 0.05, 0.95, 0.55];
    const y = [0.05, 0.05, 0.05, 0.95];
    const act = [1, 10, 3, 30, 5, 50, 7, 70]; // two units
    const { maps, occupancy } = rateMaps(x, y, act, 2, { bins: [2, 2], bounds: [[0, 1], [0, 1]] });
    expect(Array.from(occupancy)).toEqual([2, 1, 0, 1]);
    expect(Array.from(maps[0].data)).toEqual([2, 5, NaN, 7]);
    expect(Array.from(maps[1].data)).toEqual([20, 50, NaN, 70]);
  });
  it('bins outside a polygonal arena are NaN', () => {
    const { x, y } = walk(5000, 1);
    const tri: [number, number][] = [[0, 0], [1, 0], [0, 1]];
    const act = Array.from(x, (v) => v);
    const { maps } = rateMaps(x, y, act, 1, { bins: [10, 10], arena: tri });
    expect(Number.isNaN(maps[0].data[9 * 10 + 9])).toBe(true); // far corner, outside
    expect(Number.isFinite(maps[0].data[0])).toBe(true);
  });
  it('smoothing keeps NaN bins NaN, preserves constants and ignores NaN neighbours', () => {
    fc.assert(fc.property(fc.double({ min: 0.3, max: 3, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true }), (sigma, c) => {
      const d = new Array(100).fill(c);
      d[33] = NaN;
      const s = smoothMap(rateMap(d, 10), sigma);
      expect(Number.isNaN(s.data[33])).toBe(true);
      for (let k = 0; k < 100; k++) if (k !== 33) expect(s.data[k]).toBeCloseTo(c, 10);
    }));
  });
  it('a unit firing on a hexagonal lattice gives a grid-scoring rate map', () => {
    const { x, y } = walk(60000, 2);
    const f = hexGrid(6, 10);
    const act = Array.from(x, (v, t) => f(v * 20, y[t] * 20));
    const { maps } = rateMaps(x, y, act, 1, { bins: [20, 20], bounds: [[0, 1], [0, 1]] });
    expect(gridScore(maps[0])).toBeGreaterThan(0.8);
  });
});

describe('tuning statistics', () => {
  it('spatial information: 0 bits for a uniform map, log2(1/p) for firing in one bin of probability p', () => {
    expect(spatialInformation(rateMap(new Array(100).fill(2), 10)).bitsPerUnit).toBeCloseTo(0, 12);
    const one = new Array(100).fill(0);
    one[17] = 4;
    const s = spatialInformation(rateMap(one, 10));
    expect(s.bitsPerUnit).toBeCloseTo(Math.log2(100), 10);
    expect(s.sparsity).toBeCloseTo(0.01, 12);
    expect(s.bitsPerSecond).toBeCloseTo(0.04 * Math.log2(100), 10);
  });
  it('head direction: a von Mises-like unit has its preferred direction recovered; an untuned one has length ~0', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 359, noNaN: true }), fc.nat(), (pref, seed) => {
      const rand = mulberry32(seed);
      const T = 20000;
      const h = Float64Array.from({ length: T }, () => rand() * 2 * Math.PI);
      const tuned = Array.from(h, (a) => Math.exp(2 * Math.cos(a - (pref * Math.PI) / 180)));
      const r = headDirectionTuning(h, tuned);
      const diff = Math.abs(((r.preferredDirection - pref + 540) % 360) - 180);
      expect(diff).toBeLessThan(3);
      expect(r.resultantLength).toBeGreaterThan(0.5);
      expect(headDirectionTuning(h, Array.from(h, () => 1 + 0.01 * rand())).resultantLength).toBeLessThan(0.2);
      expect(() => headDirectionTuning(h, Array.from(h, (a) => Math.cos(a)))).toThrow(/rates must be >= 0/);
    }), { numRuns: 10 });
  });
  it('speed: slope and intercept of a linear unit, correlation 1', () => {
    const s = Array.from({ length: 50 }, (_, i) => i * 0.01);
    const r = speedTuning(s, s.map((v) => 3 * v + 1));
    expect(r.slope).toBeCloseTo(3, 10);
    expect(r.intercept).toBeCloseTo(1, 10);
    expect(r.correlation).toBeCloseTo(1, 10);
  });
});

describe('classification', () => {
  it('calls every validation map by its family (grid for hex and square, border for border and corner)', () => {
    const want: Record<string, string> = { hex: 'grid', square: 'grid', band: 'band', border: 'border', corner: 'border', place: 'irregular', smooth: 'irregular', degenerate: 'irregular' };
    for (const r of readScores()) expect(classify(scoreMap(mapOf(r))), `${r.file}[${r.index}] ${r.family}`).toBe(want[r.family]);
  });
  it('ramps, linear or saturating, in any direction, are not called grid, border or band cells', () => {
    fc.assert(fc.property(fc.constantFrom(20, 32), fc.double({ min: 5, max: 85, noNaN: true }), fc.double({ min: 0.3, max: 5, noNaN: true }), (n, dir, k) => {
      const s = scoreMap(render(n, ramp(dir, n, k)));
      expect(classify(s)).toBe('irregular');
    }), { numRuns: 30 });
  });
  it('smoothed white noise is (almost) never called a grid: its autocorrelogram peaks are not separated by troughs', () => {
    let grids = 0;
    for (let seed = 0; seed < 300; seed++) {
      const r = mulberry32(seed);
      const noise = rateMap(Array.from({ length: 400 }, () => 1 + 0.1 * r()), 20);
      if (classify(scoreMap(smoothMap(noise, 0.3 + (seed % 5) * 0.2))) === 'grid') grids++;
    }
    expect(grids).toBeLessThanOrEqual(3); // at most 1%
  });

  it('every validation grid has ring peaks far above the prominence threshold', () => {
    for (const r of readScores().filter((x) => x.family === 'hex' || x.family === 'square')) {
      const ring = gridGeometry(gridScores(mapOf(r)).sac).ring;
      for (const p of ring) expect(p.prominence, `${r.file}[${r.index}]`).toBeGreaterThan(MIN_PEAK_PROMINENCE + 0.2);
    }
  });

  it('thresholds can be changed by the user', () => {
    const s = scoreMap(mapOf(readScores().find((r) => r.family === 'band')!));
    expect(classify(s)).toBe('band');
    expect(classify(s, { band: 0.99 })).toBe('irregular');
  });
});

describe('PNG mosaic', () => {
  it('has one tile per map; the peak bin is drawn in the top viridis colour, NaN bins white', () => {
    const d = new Array(100).fill(0).map((_, i) => i);
    d[0] = NaN;
    const png = PNG.sync.read(mosaicPng([rateMap(d, 10), rateMap(d, 10)], { pixelsPerBin: 4, labels: ['0 grid', '1 band'] }));
    const px = (x: number, y: number) => Array.from(png.data.slice((y * png.width + x) * 4, (y * png.width + x) * 4 + 3));
    const pad = 6;
    expect(px(pad + 9 * 4 + 1, pad + 9 * 4 + 1)).toEqual(rgbOf(interpolateViridis(1)));
    expect(px(pad + 1, pad + 1)).toEqual([255, 255, 255]);
    expect(png.width).toBe(2 * (40 + pad) + pad);
  });
});

function rgbOf(css: string): number[] {
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(css);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [parseInt(css.slice(1, 3), 16), parseInt(css.slice(3, 5), 16), parseInt(css.slice(5, 7), 16)];
}

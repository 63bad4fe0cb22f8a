/**
 * Large maps and hostile input: the autocorrelogram by FFT equals the direct sums, large maps are
 * scored in seconds, and bad input to `gridscore` gets one line and exit 2, with nothing left behind.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { autocorrelogram, bandScore, classify, encodeNpy, rateMap, scoreMap, smoothMap, FFT_ABOVE_BINS } from '@gridcells/gridscore';
import { band, hexGrid as hexField, render } from './synthetic.js';

/** A hexagonal lattice rate map: n x n bins, fields `spacing` bins apart at `orientation` degrees. */
const hexGrid = (n: number, spacing: number, orientation: number) => render(n, hexField(spacing, orientation));

const CLI = fileURLToPath(new URL('../bin/gridscore.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridscore-large-'));
});

function oneLine(r: ReturnType<typeof run>, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/** A seeded uniform generator (Park-Miller). */
function uniforms(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

function npy(name: string, data: Float32Array, shape: number[]): string {
  const file = join(dir, name);
  writeFileSync(file, encodeNpy(data, shape));
  return file;
}

describe('autocorrelogram by FFT', () => {
  it('equals the direct sums within 1e-9 on maps above the FFT size: raw and smoothed, with unvisited bins left out or as zeros', () => {
    const rnd = uniforms(7);
    let worst = 0;
    for (const [h, w, holes] of [[65, 65, 0], [70, 81, 0.1], [66, 66, 0.3], [64, 90, 0.05], [100, 100, 0.5]]) {
      expect(h * w).toBeGreaterThan(FFT_ABOVE_BINS);
      const raw = rateMap(Array.from({ length: h * w }, () => (rnd() < holes ? NaN : rnd() * 3)), h, w);
      for (const map of [raw, smoothMap(raw, 1.5)]) {
        for (const unvisited of ['exclude', 'zero'] as const) {
          const a = autocorrelogram(map, { method: 'direct', unvisited }).data;
          const b = autocorrelogram(map, { method: 'fft', unvisited }).data;
          for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
        }
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('is what `auto` picks for large maps, and the grid score of a large lattice is high', () => {
    const map = hexGrid(160, 26, 10);
    const s = scoreMap(map);
    expect(s.score60).toBeGreaterThan(1);
    expect(classify(s)).toBe('grid');
  });

  it('the band score of a large map starts from its spectrum and finds the wave the small-map search finds', () => {
    const [lambda, deg] = [17.3, 33];
    const b = bandScore(render(200, band(lambda, deg)));
    const small = bandScore(render(60, band(lambda, deg))); // the grid search (60 x 60 is below the FFT size)
    expect(b.score).toBeCloseTo(small.score, 2);
    expect(b.score).toBeGreaterThan(0.8);
    expect(b.wavelength).toBeCloseTo(lambda, 1);
    expect(b.direction).toBeCloseTo(deg, 0);
  });
});

describe('gridscore on large maps and hostile input', () => {
  it('a 1000 x 1000 map is scored (it took about half an hour before the FFT)', () => {
    const n = 1000;
    const m = hexGrid(n, 90, 15);
    const r = run(npy('big.npy', Float32Array.from(m.data), [1, n, n]));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')[1]).toMatch(/^0,.*,grid$/);
  }, 120_000);

  it('maps larger than the limit are refused at once, naming the limit', () => {
    oneLine(run(npy('huge.npy', new Float32Array(1100 * 1100), [1100, 1100])), /1100 x 1100 bins; at most 1024 bins a side/);
  });

  it('rectangular maps (a 59 x 98 session) are scored: a lattice is grid, a field against the long wall is border', () => {
    const [h, w] = [59, 98];
    const grid = new Float32Array(h * w);
    const wall = new Float32Array(h * w);
    const k = (4 * Math.PI) / (Math.sqrt(3) * 18);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const [x, y] = [j + 0.5, i + 0.5];
        grid[i * w + j] = Math.max(0, [30, 90, 150].reduce((s, a) => s + Math.cos(k * (x * Math.cos((a * Math.PI) / 180) + y * Math.sin((a * Math.PI) / 180))), 0));
        wall[i * w + j] = Math.exp(-y / 3);
      }
    }
    const both = new Float32Array(2 * h * w);
    both.set(grid);
    both.set(wall, h * w);
    const r = run(npy('rect.npy', both, [2, h, w]));
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.map((c) => c[11])).toEqual(['grid', 'border']);
    expect(rows[0][7]).toBe('hexagonal');
  });

  it('--smooth wider than the maps is refused; smoothMap itself stays bounded', () => {
    const file = npy('m.npy', Float32Array.from(hexGrid(20, 7, 0).data), [20, 20]);
    oneLine(run(file, '--smooth', '1e6'), /--smooth 1000000 is wider than the maps \(20 x 20 bins\)/);
    const t0 = performance.now();
    smoothMap(hexGrid(60, 7, 0), 1e6);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('an infinite bin is scored as unvisited, with a warning, never silently', () => {
    const grid = hexGrid(30, 9, 0);
    const inf = Float32Array.from(grid.data);
    const nan = Float32Array.from(grid.data);
    inf[31] = Infinity;
    nan[31] = NaN;
    const a = run(npy('inf.npy', inf, [30, 30]));
    const b = run(npy('nan.npy', nan, [30, 30]));
    expect(a.status).toBe(0);
    expect(a.stderr).toMatch(/warning: .*map 0: 1 infinite bin scored as unvisited/);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/,grid\n$/);
  });

  it('--png to a folder gets one line and leaves no temporary file', () => {
    const out = join(dir, 'a-folder');
    mkdirSync(out);
    oneLine(run(npy('p.npy', Float32Array.from(hexGrid(20, 7, 0).data), [20, 20]), '--png', out), /cannot write .*a-folder/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('--debug adds the stack to the one-line error', () => {
    const r = run(join(dir, 'missing.npy'), '--debug');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing\.npy: cannot read file/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

/**
 * `gridscore --positions P.npy --activity A.npy`: a lab's raw tracking data in, the same scores.csv
 * out, with every score tested against the unit's shuffles; bad input gets one line naming the
 * file and the problem (exit 2). Runs the installed command (npm test builds first).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy, mulberry32, MAP_COLUMNS, SESSION_COLUMNS } from '@gridcells/gridscore';
import { hexGrid } from './synthetic.js';

const CLI = fileURLToPath(new URL('../bin/gridscore.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
let dir = '';
const file = (name: string, data: Float64Array, shape: number[]) => {
  const p = join(dir, name);
  writeFileSync(p, encodeNpy(data, shape));
  return p;
};

/** 10 minutes at 50 Hz in a 1 m x 0.6 m box: positions in metres, spike counts of a grid cell and of a cell that ignores position. */
function recording(): { pos: Float64Array; spikes: Float64Array; T: number } {
  const T = 30_000;
  const rand = mulberry32(11);
  const pos = new Float64Array(2 * T);
  const spikes = new Float64Array(2 * T);
  const grid = hexGrid(0.3, 15);
  let [x, y, h] = [0.5, 0.3, 0];
  // Poisson counts by inversion: rate per sample lambda
  const poisson = (lambda: number) => {
    let [k, p, u] = [0, Math.exp(-lambda), rand()];
    let cdf = p;
    while (u > cdf) [k, p] = [k + 1, (p * lambda) / (k + 1)], (cdf += p);
    return k;
  };
  for (let t = 0; t < T; t++) {
    h += (rand() - 0.5) * 0.8;
    [x, y] = [x + 0.006 * Math.cos(h), y + 0.006 * Math.sin(h)];
    if (x < 0 || x > 1) [x, h] = [Math.min(1, Math.max(0, x)), Math.PI - h];
    if (y < 0 || y > 0.6) [y, h] = [Math.min(0.6, Math.max(0, y)), -h];
    pos.set([x, y], 2 * t);
    spikes.set([poisson(0.4 * grid(x, y)), poisson(0.1)], 2 * t);
  }
  return { pos, spikes, T };
}

describe('gridscore on tracking data', () => {
  let P = '';
  let A = '';
  let T = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridscore-tracking-'));
    const r = recording();
    T = r.T;
    P = file('pos.npy', r.pos, [T, 2]);
    A = file('spikes.npy', r.spikes, [T, 2]);
  });

  it('builds rectangular rate maps, scores them, and tests each unit against its shuffles: the grid cell is a significant grid, the other cell nothing', () => {
    const r = run('--positions', P, '--activity', A, '--dt', '0.02', '--arena', '1,0.6', '--shuffles', '20', '--smooth', '1');
    expect(r.status, r.stderr).toBe(0);
    const [head, ...rows] = r.stdout.trim().split('\n');
    expect(head).toBe([...MAP_COLUMNS, ...SESSION_COLUMNS].join(','));
    const col = (row: string, name: string) => row.split(',')[head.split(',').indexOf(name)];
    expect(rows.map((row) => [col(row, 'class'), col(row, 'significant_class')])).toEqual([['grid', 'grid'], ['irregular', 'irregular']]);
    expect(Number(col(rows[0], 'grid_pct'))).toBe(100);
  });

  const bad: [string, () => string[], RegExp][] = [
    ['positions of the wrong shape', () => ['--positions', file('p3.npy', new Float64Array(3 * T), [T, 3]), '--activity', A], /p3\.npy: positions must have shape \(T, 2\), got \(30000, 3\)/],
    ['a NaN position', () => {
      const p = new Float64Array(2 * T).fill(0.5);
      p[2 * 17] = NaN;
      return ['--positions', file('pnan.npy', p, [T, 2]), '--activity', A];
    }, /pnan\.npy: position 17 is NaN, 0\.5: drop untracked samples/],
    ['lengths that differ', () => ['--positions', P, '--activity', file('short.npy', new Float64Array(2 * 100), [100, 2])], /short\.npy: 100 samples, but .*pos\.npy has 30000/],
    ['activity that is not finite', () => {
      const a = new Float64Array(2 * T);
      a[9] = Infinity;
      return ['--positions', P, '--activity', file('ainf.npy', a, [T, 2])];
    }, /ainf\.npy: sample 4, unit 1 is Infinity/],
    ['--activity missing', () => ['--positions', P], /needs both --positions and --activity/],
    ['an arena that is not one', () => ['--positions', P, '--activity', A, '--arena', 'big'], /--arena must be W,H or a polygon/],
    ['a session too short to shuffle', () => ['--positions', file('p10.npy', new Float64Array(20).map((_, i) => i / 20), [10, 2]), '--activity', file('a10.npy', new Float64Array(10), [10, 1]), '--dt', '1'], /a10\.npy: 10 samples are too few to shuffle/],
  ];
  it.each(bad)('%s: one line naming the file and the problem, exit 2', (_, args, message) => {
    const r = run(...args());
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});

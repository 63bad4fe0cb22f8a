/**
 * gridscore throughput: maps scored per second at 20 x 20 and 40 x 40, for the DeepMind grid
 * scores alone and for every score (grid, spacing/orientation, border, band), beside a NumPy/SciPy
 * implementation of the same DeepMind algorithm (peers/dm_scores.py) in the same run when
 * python3 with numpy and scipy is present.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseSessionThreads, encodeNpy, gridScores, scoreMap, mulberry32, type RateMap } from '@gridcells/gridscore';
import { median, type Row } from './table.js';

/** Synthetic maps of mixed families (grids, bands, place fields, noise), seeded. */
export function syntheticMaps(count: number, n: number, seed = 1): RateMap[] {
  const rand = mulberry32(seed);
  const maps: RateMap[] = [];
  for (let u = 0; u < count; u++) {
    const kind = u % 4;
    const sp = (0.25 + 0.25 * rand()) * n;
    const th = rand() * Math.PI;
    const [cx, cy] = [rand() * n, rand() * n];
    const data = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const x = j + 0.5, y = i + 0.5;
        let v: number;
        if (kind === 0) {
          const k = (4 * Math.PI) / (Math.sqrt(3) * sp);
          v = [0, 1, 2].reduce((s, q) => s + Math.cos(k * ((x - cx) * Math.cos(th + (q * Math.PI) / 3) + (y - cy) * Math.sin(th + (q * Math.PI) / 3))), 0);
        } else if (kind === 1) v = Math.cos((2 * Math.PI * (x * Math.cos(th) + y * Math.sin(th))) / sp);
        else if (kind === 2) v = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * (n / 8) ** 2));
        else v = rand();
        data[i * n + j] = Math.max(0, v) + 0.05 * rand();
      }
    }
    maps.push({ data, height: n, width: n });
  }
  return maps;
}

/** The grid scores exactly as DeepMind's algorithm, which the NumPy peer runs. */
const deepmind = (m: RateMap) => gridScores(m, { unvisited: 'zero' });

function rate(maps: RateMap[], f: (m: RateMap) => unknown, batches: number): { mapsPerSecond: number; runs: number[] } {
  const per = Math.ceil(maps.length / batches);
  const runs: number[] = [];
  for (let b = 0; b < batches; b++) {
    const chunk = maps.slice(b * per, (b + 1) * per);
    const t0 = performance.now();
    for (const m of chunk) f(m);
    runs.push(chunk.length / ((performance.now() - t0) / 1000));
  }
  return { mapsPerSecond: median(runs), runs };
}

function pythonPeer(maps: RateMap[], n: number): { mapsPerSecond: number; note: string } | null {
  const probe = spawnSync('python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'gridscore-bench-'));
  const file = join(dir, `maps${n}.npy`);
  const flat = new Float64Array(maps.length * n * n);
  maps.forEach((m, u) => flat.set(m.data, u * n * n));
  writeFileSync(file, encodeNpy(flat, [maps.length, n, n]));
  const script = fileURLToPath(new URL('../peers/dm_scores.py', import.meta.url));
  const r = spawnSync('python3', [script, file, '3'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return null;
  const out = JSON.parse(r.stdout);
  // the peer must compute the same numbers before its speed means anything
  const ours = maps.map((m) => deepmind(m).score60);
  const worst = Math.max(...ours.map((v, i) => Math.abs(v - out.score60[i])));
  const per = out.seconds.map((s: number) => maps.length / s);
  return { mapsPerSecond: median(per), note: `NumPy ${out.numpy}, SciPy ${out.scipy}; max |score60 diff| vs ours ${worst.toExponential(1)}` };
}

/**
 * The significance test's throughput: a session of 64 units (a random walk of 100,000 samples in
 * a 20 x 20 map, the units the synthetic families read along it), each scored with 20 shuffles:
 * unit-maps (real and shuffled) fully scored per second, on 1 and 2 threads.
 */
async function benchShuffles(): Promise<Row[]> {
  const [T, U, shuffles, n] = [100_000, 64, 20, 20];
  const fields = syntheticMaps(U, n, 7);
  const rand = mulberry32(3);
  const [x, y] = [new Float64Array(T), new Float64Array(T)];
  const activity = new Float64Array(T * U);
  let [px, py, h] = [0.5, 0.5, 0];
  for (let t = 0; t < T; t++) {
    h += (rand() - 0.5) * 1.2;
    [px, py] = [Math.min(0.999, Math.max(0, px + 0.02 * Math.cos(h))), Math.min(0.999, Math.max(0, py + 0.02 * Math.sin(h)))];
    [x[t], y[t]] = [px, py];
    const k = Math.floor(py * n) * n + Math.floor(px * n);
    for (let u = 0; u < U; u++) activity[t * U + u] = fields[u].data[k] + 0.1 * rand();
  }
  const rows: Row[] = [];
  for (const threads of [1, 2]) {
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await analyseSessionThreads({ x, y, activity, units: U, trajectoryLength: 500 }, { maps: { bins: [n, n], bounds: [[0, 1], [0, 1]] }, shuffles }, threads);
      runs.push((U * (shuffles + 1)) / ((performance.now() - t0) / 1000));
    }
    rows.push({ case: `shuffle test ${n}x${n}`, backend: `gridscore analyseSession, ${threads} thread${threads > 1 ? 's' : ''}`, maps: U * (shuffles + 1), n, maps_per_s: median(runs), note: `unit-maps (${U} units x ${shuffles + 1}) with every score and tuning, ${T.toLocaleString('en')} samples; median of 3` });
  }
  return rows;
}

export async function benchGridscore(count = 1000, sizes = [20, 40]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of sizes) {
    const maps = syntheticMaps(count, n);
    const grid = rate(maps, deepmind, 5);
    const all = rate(maps, scoreMap, 5);
    rows.push({ case: `grid scores ${n}x${n}`, backend: 'gridscore (TypeScript)', maps: count, n, maps_per_s: grid.mapsPerSecond, note: 'DeepMind mode (unvisited: zero); median of 5 batches' });
    rows.push({ case: `all scores ${n}x${n}`, backend: 'gridscore (TypeScript)', maps: count, n, maps_per_s: all.mapsPerSecond, note: 'grid+spacing+border+band; median of 5 batches' });
    const peer = pythonPeer(maps.slice(0, Math.min(count, 200)), n);
    rows.push(peer
      ? { case: `grid scores ${n}x${n}`, backend: 'DeepMind algorithm, NumPy/SciPy', maps: Math.min(count, 200), n, maps_per_s: peer.mapsPerSecond, note: `median of 3 runs; ${peer.note}` }
      : { case: `grid scores ${n}x${n}`, backend: 'DeepMind algorithm, NumPy/SciPy', maps: 0, n, maps_per_s: null, note: 'not measured: python3 with numpy and scipy not found' });
  }
  return [...rows, ...(await benchShuffles())];
}

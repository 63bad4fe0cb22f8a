#!/usr/bin/env node
/**
 * gridscore — score rate maps saved from any lab's pipeline with `np.save`, or build them from raw
 * tracking data and test every unit against its own shuffles.
 *
 *   gridscore maps.npy                       CSV on stdout, one row per map
 *   gridscore maps.npy --format json
 *   gridscore maps.npy --mode minmax --smooth 1 --png mosaic.png
 *   gridscore --positions pos.npy --activity spikes.npy --dt 0.02 --arena 1,1
 */
import { parseArgs } from 'node:util';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { NpyError, readNpy, type NpyArray } from './npy.js';
import { mapsFromArray, type RateMap } from './map.js';
import { scoreMap, classify, spatialTests, DEFAULT_THRESHOLDS, type Thresholds, type UnitScores } from './classify.js';
import { mosaicPng } from './figures.js';
import { autocorrelogram, type Unvisited } from './autocorrelogram.js';
import { smoothMap } from './ratemaps.js';
import type { GridMode } from './grid.js';
import type { Point } from './geometry.js';
import { mapScoresCsv, sessionScoresCsv, csvNumber } from './csv.js';
import { analyseSession } from './session.js';

/** The longest map side scored (a 1000 x 1000 map takes a few seconds). */
const MAX_SIDE = 1024;

const HELP = `Usage: gridscore MAPS.npy [options]
       gridscore --positions P.npy --activity A.npy [options]

Scores rate maps: a float32/float64 .npy of shape (units, H, W) or (H, W), axis 1 = rows (y),
axis 2 = columns (x), NaN for unvisited bins (as written by numpy.save). Maps may be
rectangular.

Or, from raw tracking data: positions (T, 2) in metres and activity (T, units) as spike counts
or rates per sample; rate maps are built (occupancy-normalised) and every score is also tested
against the unit's own shuffles (circular shifts of its activity against the positions).

Prints CSV with the columns
  index,score60,score90,score60_minmax,spacing,orientation,ring_peaks,lattice,border,band,tests,class
score60/score90: grid scores; spacing (bins) and orientation (degrees, [0, 60)) from the
autocorrelogram's inner ring of peaks (ring_peaks; lattice: hexagonal, square or none); border:
Solstad border score; band: best plane wave's share of variance; tests: the tests passed on
thresholds; class: grid / border / band / irregular (the first test passed). With tracking data
also significant_class, each score's percentile among the shuffles, place_fields, spatial_info,
hd_length, hd_direction, speed_score (with their percentiles) and flags (place, hd, speed).
Maps with negative values are scored as signed (measured from their minimum).

Options:
  --format csv|json   output format (default csv)
  --mode deepmind|minmax
                      which 60-degree score the grid threshold applies to (default deepmind)
  --unvisited exclude|zero
                      unvisited bins in the autocorrelogram: left out (default), or zeros as in
                      DeepMind's scores.py (its exact numbers)
  --smooth SIGMA      Gaussian smoothing in bins before scoring (default 0: none)
  --png FILE          also write a PNG mosaic of the maps, labelled with class and score
  --sac-png FILE      also write a PNG mosaic of their spatial autocorrelograms
  --grid-threshold X, --border-threshold X, --band-threshold X
                      classification thresholds (defaults ${DEFAULT_THRESHOLDS.grid60}, ${DEFAULT_THRESHOLDS.border}, ${DEFAULT_THRESHOLDS.band})
  --debug             show the stack of an error (also GRIDCELLS_DEBUG=1)
  -h, --help          this help

Tracking data:
  --positions FILE    (T, 2) positions in metres, x then y
  --activity FILE     (T, units) spike counts or rates (or (T,) for one unit)
  --dt SECONDS        time per sample: speeds in m/s, and shuffles shift by at least 20 s
  --arena W,H | X1,Y1 X2,Y2 ...
                      a W x H box centred on the positions, or a polygon (metres); bins outside
                      it are unvisited (default: the positions' bounding box)
  --bins N            bins along the arena's longer side (default 20; square bins)
  --shuffles N        shuffles per unit (default 100; 0: none)
  --seed N            the shuffles' seed (default 0)

Limits: maps of at most ${MAX_SIDE} bins a side, and --smooth at most the maps' shorter side.
Infinite bins are scored as unvisited, with a warning.
`;

/** A problem with what the user gave: one line, exit 2. */
class InputError extends Error {}

function fail(message: string): never {
  throw new InputError(message);
}

function numberOption(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x)) fail(`--${name} must be a number, got '${v}'`);
  return x;
}

/** The score that earned a tile its label: the border or band score, else the lattice's grid score. */
function tileScore(r: UnitScores & { class: string }): string {
  const f = (x: number) => csvNumber(+x.toFixed(2));
  if (r.class === 'border') return `border ${f(r.border)}`;
  if (r.class === 'band') return `band ${f(r.band)}`;
  if (r.lattice === 'square') return `s90 ${f(r.score90)}`;
  return `s60 ${f(r.score60)}`;
}

/** Writes a file atomically (temp file + rename): a reader never sees half a file, a failure leaves none. */
function writePng(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    fail(`cannot write ${path}: ${(e as Error).message}`);
  }
  process.stderr.write(`gridscore: wrote ${path}\n`);
}

/**
 * Runs the CLI; every failure is one line on stderr: exit 2 for bad input (flags, files, maps), 1
 * for a fault of our own. `--debug` (or GRIDCELLS_DEBUG=1) adds the stack.
 */
export function main(argv: string[]): number {
  const debug = argv.includes('--debug') || process.env.GRIDCELLS_DEBUG === '1';
  try {
    score(argv.filter((a) => a !== '--debug'));
    return 0;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const input = err instanceof InputError || err instanceof NpyError;
    process.stderr.write(`gridscore: ${input ? err.message : `internal error: ${err.message} (a fault of gridscore, not of your input; --debug shows where)`}\n`);
    if (debug) process.stderr.write(`${err.stack ?? ''}\n`);
    return input ? 2 : 1;
  }
}

function score(argv: string[]): void {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'csv' },
        mode: { type: 'string', default: 'deepmind' },
        unvisited: { type: 'string', default: 'exclude' },
        smooth: { type: 'string' },
        png: { type: 'string' },
        'sac-png': { type: 'string' },
        'grid-threshold': { type: 'string' },
        'border-threshold': { type: 'string' },
        'band-threshold': { type: 'string' },
        positions: { type: 'string' },
        activity: { type: 'string' },
        dt: { type: 'string' },
        arena: { type: 'string' },
        bins: { type: 'string' },
        shuffles: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.format !== 'csv' && values.format !== 'json') fail(`--format must be csv or json, got '${values.format}'`);
  if (values.mode !== 'deepmind' && values.mode !== 'minmax') fail(`--mode must be deepmind or minmax, got '${values.mode}'`);
  if (values.unvisited !== 'exclude' && values.unvisited !== 'zero') fail(`--unvisited must be exclude or zero, got '${values.unvisited}'`);
  const unvisited = values.unvisited as Unvisited;
  const smooth = numberOption(values.smooth, 'smooth', 0);
  if (smooth < 0) fail(`--smooth must be >= 0, got ${smooth}`);
  const thresholds: Thresholds = {
    mode: values.mode as GridMode,
    grid60: numberOption(values['grid-threshold'], 'grid-threshold', DEFAULT_THRESHOLDS.grid60),
    grid90: numberOption(values['grid-threshold'], 'grid-threshold', DEFAULT_THRESHOLDS.grid90),
    border: numberOption(values['border-threshold'], 'border-threshold', DEFAULT_THRESHOLDS.border),
    band: numberOption(values['band-threshold'], 'band-threshold', DEFAULT_THRESHOLDS.band),
  };
  const tracking = values.positions !== undefined || values.activity !== undefined;
  let maps: RateMap[];
  let rows: (UnitScores & { index: number; class: string; warning?: string })[];
  let csv: string;
  if (tracking) {
    if (positionals.length) fail(`give either a maps .npy or --positions and --activity, not both (see --help)`);
    if (values.positions === undefined || values.activity === undefined) fail('tracking data needs both --positions and --activity (see --help)');
    const a = sessionFromFiles(values.positions, values.activity, values, unvisited, smooth, thresholds);
    maps = a.maps;
    rows = a.units.map((u) => ({ ...u, index: u.unit }));
    csv = sessionScoresCsv(a.units);
  } else {
    for (const name of ['dt', 'arena', 'bins', 'shuffles', 'seed'] as const) if (values[name] !== undefined) fail(`--${name} is for tracking data (--positions and --activity)`);
    if (positionals.length !== 1) fail(`expected one .npy file, got ${positionals.length} (see --help)`);
    maps = readMaps(positionals[0], smooth);
    const scored = maps.map((m, index) => {
      const s = scoreMap(m, { smooth, unvisited });
      if (s.warning) process.stderr.write(`gridscore: warning: ${positionals[0]} map ${index}: ${s.warning}\n`);
      return { index, scores: s, tests: spatialTests(s, thresholds), class: classify(s, thresholds) };
    });
    rows = scored.map((r) => ({ ...r.scores, index: r.index, class: r.class }));
    csv = mapScoresCsv(scored);
  }
  if (values.format === 'json') {
    const clean = rows.map(({ warning, ...r }) => ({ ...r, warning }));
    process.stdout.write(JSON.stringify(clean, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  } else {
    process.stdout.write(csv);
  }
  const labels = rows.map((r) => `${r.index} ${r.class}\n${tileScore(r)}`);
  if (values.png) writePng(values.png, mosaicPng(maps, { labels }));
  if (values['sac-png']) {
    const sacs = maps.map((m) => {
      const sac = autocorrelogram(smooth ? smoothMap(m, smooth) : m, { unvisited });
      return { data: sac.data, height: sac.height, width: sac.width };
    });
    writePng(values['sac-png'], mosaicPng(sacs, { labels, range: [-1, 1] }));
  }
}

/** The maps of a maps .npy, checked: dimensions, size, smoothing. */
function readMaps(file: string, smooth: number): RateMap[] {
  const arr = readNpy(file);
  if (arr.shape.length !== 2 && arr.shape.length !== 3) {
    fail(`${file}: expected shape (units, H, W) or (H, W), got (${arr.shape.join(', ')}) with ${arr.shape.length} dimensions`);
  }
  const [h, w] = arr.shape.slice(-2);
  if (Math.max(h, w) > MAX_SIDE) fail(`${file}: the maps are ${h} x ${w} bins; at most ${MAX_SIDE} bins a side are scored (bin them coarser)`);
  if (Math.min(h, w) < 2) fail(`${file}: the maps are ${h} x ${w} bins; at least 2 x 2 are needed`);
  if (smooth > Math.min(h, w)) fail(`--smooth ${smooth} is wider than the maps (${h} x ${w} bins): at most ${Math.min(h, w)}`);
  return mapsFromArray(arr.data, arr.shape, file);
}

type TrackingValues = { dt?: string; arena?: string; bins?: string; shuffles?: string; seed?: string; mode?: string };

/** Reads, checks and analyses tracking data (see --help). */
function sessionFromFiles(posFile: string, actFile: string, v: TrackingValues, unvisited: Unvisited, smooth: number, thresholds: Thresholds) {
  const pos = readNpy(posFile);
  if (pos.shape.length !== 2 || pos.shape[1] !== 2) fail(`${posFile}: positions must have shape (T, 2), got (${pos.shape.join(', ')})`);
  const T = pos.shape[0];
  const act: NpyArray = readNpy(actFile);
  if (act.shape.length !== 1 && act.shape.length !== 2) fail(`${actFile}: activity must have shape (T, units) or (T,), got (${act.shape.join(', ')})`);
  if (act.shape[0] !== T) fail(`${actFile}: ${act.shape[0]} samples, but ${posFile} has ${T}: one activity row per position`);
  const units = act.shape.length === 2 ? act.shape[1] : 1;
  if (units < 1) fail(`${actFile}: no units (shape (${act.shape.join(', ')}))`);
  const x = new Float64Array(T);
  const y = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    [x[t], y[t]] = [pos.data[2 * t], pos.data[2 * t + 1]];
    if (!Number.isFinite(x[t]) || !Number.isFinite(y[t])) fail(`${posFile}: position ${t} is ${x[t]}, ${y[t]}: drop untracked samples (and their activity rows) first`);
  }
  for (let k = 0; k < act.data.length; k++) {
    if (!Number.isFinite(act.data[k])) fail(`${actFile}: sample ${Math.floor(k / units)}, unit ${k % units} is ${act.data[k]}: activity must be finite`);
  }
  const dt = v.dt === undefined ? undefined : numberOption(v.dt, 'dt', 0);
  if (dt !== undefined && !(dt > 0)) fail(`--dt must be a positive number of seconds, got ${v.dt}`);
  const [[x0, x1], [y0, y1]] = [extent(x), extent(y)];
  const arena = v.arena === undefined ? undefined : parseArena(v.arena, [(x0 + x1) / 2, (y0 + y1) / 2]);
  const xs = arena ? arena.map((p) => p[0]) : [x0, x1];
  const ys = arena ? arena.map((p) => p[1]) : [y0, y1];
  const bounds: [[number, number], [number, number]] = [[Math.min(...xs), Math.max(...xs)], [Math.min(...ys), Math.max(...ys)]];
  const [width, height] = [bounds[0][1] - bounds[0][0], bounds[1][1] - bounds[1][0]];
  if (!(width > 0 && height > 0)) fail(`${posFile}: the positions span no area (${width} x ${height} m); give --arena`);
  const n = numberOption(v.bins, 'bins', 20);
  if (!(Number.isInteger(n) && n >= 2 && n <= MAX_SIDE)) fail(`--bins must be an integer from 2 to ${MAX_SIDE}, got ${v.bins}`);
  // square bins: n along the longer side
  const size = Math.max(width, height) / n;
  const bins: [number, number] = [Math.max(2, Math.round(height / size)), Math.max(2, Math.round(width / size))];
  const shuffles = numberOption(v.shuffles, 'shuffles', 100);
  if (!(Number.isInteger(shuffles) && shuffles >= 0 && shuffles <= 10_000)) fail(`--shuffles must be an integer from 0 to 10000, got ${v.shuffles}`);
  const seed = numberOption(v.seed, 'seed', 0);
  if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${v.seed}`);
  try {
    return analyseSession(
      { x, y, activity: act.data, units, dt },
      { maps: { bins, bounds, arena, smooth }, unvisited, thresholds, shuffles, seed },
    );
  } catch (e) {
    // a session too short to shuffle: the user's data
    fail(`${actFile}: ${(e as Error).message.replace(/^analyseSession: /, '')}`);
  }
}

function extent(v: Float64Array): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (const a of v) [lo, hi] = [Math.min(lo, a), Math.max(hi, a)];
  return [lo, hi];
}

/** `W,H` (a box centred at `centre`) or `X1,Y1 X2,Y2 ...` (a polygon of at least 3 points), in metres. */
function parseArena(text: string, centre: Point): Point[] {
  const points = text.trim().split(/\s+/).map((p) => p.split(',').map(Number));
  if (points.some((p) => p.length !== 2 || !p.every(Number.isFinite))) fail(`--arena must be W,H or a polygon X1,Y1 X2,Y2 ..., got '${text}'`);
  if (points.length === 1) {
    const [w, h] = points[0];
    if (!(w > 0 && h > 0)) fail(`--arena W,H must be positive sizes in metres, got '${text}'`);
    const [cx, cy] = centre;
    return [[cx - w / 2, cy - h / 2], [cx + w / 2, cy - h / 2], [cx + w / 2, cy + h / 2], [cx - w / 2, cy + h / 2]];
  }
  if (points.length < 3) fail(`--arena polygon needs at least 3 points, got ${points.length}`);
  return points as Point[];
}

process.exitCode = main(process.argv.slice(2));

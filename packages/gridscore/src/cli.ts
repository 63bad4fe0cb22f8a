#!/usr/bin/env node
/**
 * gridscore MAPS.npy — score rate maps saved from any lab's pipeline with `np.save`.
 *
 *   gridscore maps.npy                       CSV on stdout, one row per map
 *   gridscore maps.npy --format json
 *   gridscore maps.npy --mode minmax --smooth 1 --png mosaic.png
 */
import { parseArgs } from 'node:util';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { NpyError, readNpy } from './npy.js';
import { mapsFromArray } from './map.js';
import { scoreMap, classify, DEFAULT_THRESHOLDS, type UnitScores } from './classify.js';
import { mosaicPng } from './figures.js';
import { autocorrelogram } from './autocorrelogram.js';
import { smoothMap } from './ratemaps.js';
import type { GridMode } from './grid.js';

/** The longest map side scored (a 1000 x 1000 map takes a few seconds). */
const MAX_SIDE = 1024;

const HELP = `Usage: gridscore MAPS.npy [options]

Scores rate maps: a float32/float64 .npy of shape (units, H, W) or (H, W), axis 1 = rows (y),
axis 2 = columns (x), NaN for unvisited bins (as written by numpy.save).

Prints CSV with the columns
  index,score60,score90,score60_minmax,spacing,orientation,border,band,class
score60/score90: DeepMind grid scores; spacing (bins) and orientation (degrees, [0, 60)) from the
autocorrelogram's inner ring of peaks; border: Solstad border score; band: best plane wave's
share of variance; class: grid / border / band / irregular.

Options:
  --format csv|json   output format (default csv)
  --mode deepmind|minmax
                      which 60-degree score the grid threshold applies to (default deepmind)
  --smooth SIGMA      Gaussian smoothing in bins before scoring (default 0: none)
  --png FILE          also write a PNG mosaic of the maps, labelled with class and score
  --sac-png FILE      also write a PNG mosaic of their spatial autocorrelograms
  --grid-threshold X, --border-threshold X, --band-threshold X
                      classification thresholds (defaults ${DEFAULT_THRESHOLDS.grid60}, ${DEFAULT_THRESHOLDS.border}, ${DEFAULT_THRESHOLDS.band})
  --debug             show the stack of an error (also GRIDCELLS_DEBUG=1)
  -h, --help          this help

Limits: maps of at most ${MAX_SIDE} x ${MAX_SIDE} bins (square: the grid score needs square maps), and
--smooth at most the maps' side. Infinite bins are scored as unvisited, with a warning.
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

function fmt(x: number): string {
  return Number.isNaN(x) ? 'nan' : Number.isFinite(x) ? String(Number(x.toPrecision(10))) : String(x);
}

/** The score that earned a tile its label: the border or band score, else the lattice's grid score. */
function tileScore(r: UnitScores & { class: string }): string {
  if (r.class === 'border') return `border ${fmt(+r.border.toFixed(2))}`;
  if (r.class === 'band') return `band ${fmt(+r.band.toFixed(2))}`;
  if (r.periodic && r.peaks === 4) return `s90 ${fmt(+r.score90.toFixed(2))}`;
  return `s60 ${fmt(+r.score60.toFixed(2))}`;
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
        smooth: { type: 'string' },
        png: { type: 'string' },
        'sac-png': { type: 'string' },
        'grid-threshold': { type: 'string' },
        'border-threshold': { type: 'string' },
        'band-threshold': { type: 'string' },
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
  if (positionals.length !== 1) fail(`expected one .npy file, got ${positionals.length} (see --help)`);
  if (values.format !== 'csv' && values.format !== 'json') fail(`--format must be csv or json, got '${values.format}'`);
  if (values.mode !== 'deepmind' && values.mode !== 'minmax') fail(`--mode must be deepmind or minmax, got '${values.mode}'`);
  const smooth = numberOption(values.smooth, 'smooth', 0);
  if (smooth < 0) fail(`--smooth must be >= 0, got ${smooth}`);
  const thresholds = {
    mode: values.mode as GridMode,
    grid60: numberOption(values['grid-threshold'], 'grid-threshold', DEFAULT_THRESHOLDS.grid60),
    grid90: numberOption(values['grid-threshold'], 'grid-threshold', DEFAULT_THRESHOLDS.grid90),
    border: numberOption(values['border-threshold'], 'border-threshold', DEFAULT_THRESHOLDS.border),
    band: numberOption(values['band-threshold'], 'band-threshold', DEFAULT_THRESHOLDS.band),
  };
  const file = positionals[0];
  const arr = readNpy(file);
  if (arr.shape.length !== 2 && arr.shape.length !== 3) {
    fail(`${file}: expected shape (units, H, W) or (H, W), got (${arr.shape.join(', ')}) with ${arr.shape.length} dimensions`);
  }
  const [h, w] = arr.shape.slice(-2);
  if (h !== w) fail(`${file}: the maps are ${h} x ${w} bins; the grid score needs square maps (crop them, or pad them to square with NaN)`);
  if (h > MAX_SIDE) fail(`${file}: the maps are ${h} x ${w} bins; at most ${MAX_SIDE} x ${MAX_SIDE} are scored (bin them coarser)`);
  if (h < 2) fail(`${file}: the maps are ${h} x ${w} bins; at least 2 x 2 are needed`);
  if (smooth > h) fail(`--smooth ${smooth} is wider than the maps (${h} x ${w} bins): at most ${h}`);
  const maps = mapsFromArray(arr.data, arr.shape, file);
  const rows = maps.map((m, index) => {
    const s = scoreMap(m, { smooth });
    if (s.warning) process.stderr.write(`gridscore: warning: ${file} map ${index}: ${s.warning}\n`);
    return { index, ...s, class: classify(s, thresholds) };
  });
  if (values.format === 'json') {
    const clean = rows.map(({ warning, ...r }) => ({ ...r, warning }));
    process.stdout.write(JSON.stringify(clean, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  } else {
    const out = ['index,score60,score90,score60_minmax,spacing,orientation,border,band,class'];
    for (const r of rows) {
      out.push([r.index, fmt(r.score60), fmt(r.score90), fmt(r.score60Minmax), fmt(r.spacing), fmt(r.orientation), fmt(r.border), fmt(r.band), r.class].join(','));
    }
    process.stdout.write(out.join('\n') + '\n');
  }
  const labels = rows.map((r) => `${r.index} ${r.class}\n${tileScore(r)}`);
  if (values.png) writePng(values.png, mosaicPng(maps, { labels }));
  if (values['sac-png']) {
    const sacs = maps.map((m) => {
      const sac = autocorrelogram(smooth ? smoothMap(m, smooth) : m);
      return { data: sac.data, height: sac.height, width: sac.width };
    });
    writePng(values['sac-png'], mosaicPng(sacs, { labels, range: [-1, 1] }));
  }
}

process.exitCode = main(process.argv.slice(2));

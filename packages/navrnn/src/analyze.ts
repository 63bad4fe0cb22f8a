/**
 * Analysis of a trained network: its units' rate maps on fresh trajectories, their grid, border and
 * band scores (@gridcells/gridscore) and classes, beside the same analysis of the untrained network
 * (same seed, step 0) as the null that SCIENCE.md asks for: smooth untrained tanh units already reach
 * high grid scores, so counts mean something only against that baseline.
 *
 * Rate maps leave out the first `burnIn` steps of every trajectory: every trial starts at the centre
 * with the state at zero, and without this the start shows up as a spot at the centre bin.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@gridcells/tensor';
import {
  classify, encodeNpy, headDirectionTuning, rateMaps, scoreMap, speedTuning, type CellClass, type Point, type RateMap, type UnitScores,
} from '@gridcells/gridscore';
import { makeArena, type Arena } from './arena.js';
import { generateTrajectories } from './trajectory.js';
import { initParams, rollout, type CuevaParams } from './model.js';
import { modelConfig, runStreams } from './train.js';
import { writeAtomic } from './checkpoint.js';
import type { RunConfig } from './config.js';

export interface AnalyzeOptions {
  trials?: number;
  /** Steps per trajectory (default: the training length). */
  timeSteps?: number;
  /** Leading steps of each trajectory left out of the rate maps (default 10% of them). */
  burnIn?: number;
  bins?: number;
  seed?: number;
}

export interface UnitResult extends UnitScores {
  unit: number;
  class: CellClass;
  /** Pearson correlation of the unit's rate with running speed (Kropff et al. 2015's speed score). */
  speedScore: number;
  /** Head-direction tuning: mean resultant length and preferred direction (degrees). */
  hdLength: number;
  hdDirection: number;
}

export interface Analysis {
  units: UnitResult[];
  maps: RateMap[];
  counts: Record<CellClass, number>;
}

/** Arena outline in bin coordinates (x = column, y = row) for the border score. */
function outlineInBins(arena: Arena, bins: number): Point[] {
  const [[x0, x1], [y0, y1]] = arena.bbox;
  return arena.outline().map(([x, y]) => [((x - x0) / (x1 - x0)) * bins, ((y - y0) / (y1 - y0)) * bins] as Point);
}

export function analyzeParams(cfg: RunConfig, params: CuevaParams, opts: AnalyzeOptions = {}): Analysis {
  const arena = makeArena(cfg.arena);
  const model = modelConfig(cfg);
  const trials = opts.trials ?? 200;
  const T = opts.timeSteps ?? cfg.train.timeSteps;
  const burnIn = opts.burnIn ?? Math.floor(0.1 * T);
  const bins = opts.bins ?? 20;
  if (burnIn >= T) throw new Error(`analyze: burn-in ${burnIn} leaves no steps of ${T}`);
  const tr = generateTrajectories(arena, cfg.trajectory, trials, T, cfg.encoding, new Rng(opts.seed ?? 4242));
  const { rates } = rollout(model, params, tr.inputs, T, trials);
  const N = model.hidden;
  const kept = (T - burnIn) * trials;
  const x = new Float64Array(kept);
  const y = new Float64Array(kept);
  const speed = new Float64Array(kept);
  const heading = new Float64Array(kept);
  const act = new Float64Array(kept * N);
  let k = 0;
  for (let t = burnIn; t < T; t++) {
    for (let b = 0; b < trials; b++) {
      const pi = ((t + 1) * trials + b) * 2; // position after step t, where u_t was read
      x[k] = tr.positions[pi];
      y[k] = tr.positions[pi + 1];
      speed[k] = tr.speeds[t * trials + b];
      heading[k] = tr.headings[t * trials + b];
      act.set(rates.subarray((t * trials + b) * N, (t * trials + b + 1) * N), k * N);
      k++;
    }
  }
  const unitSeries = (u: number) => Float64Array.from({ length: kept }, (_, q) => act[q * N + u]);
  const { maps } = rateMaps(x, y, act, N, { bins: [bins, bins], bounds: arena.bbox, arena: arena.outline() });
  const border = { arena: outlineInBins(arena, bins) };
  // tanh units can be negative; the scores are invariant to scale, and shifting by +1 makes the
  // rates non-negative as the border and band scores' field detection expects
  const shifted = maps.map((m) => ({ ...m, data: m.data.map((v) => v + 1) }));
  const units = shifted.map((m, unit) => {
    const s = scoreMap(m, { border });
    const series = unitSeries(unit);
    // tanh rates lie in (-1, 1): +1 makes them non-negative, as rates are
    const hd = headDirectionTuning(heading, series.map((v) => v + 1));
    return { unit, ...s, class: classify(s), speedScore: speedTuning(speed, series).correlation, hdLength: hd.resultantLength, hdDirection: hd.preferredDirection };
  });
  const counts: Record<CellClass, number> = { grid: 0, border: 0, band: 0, irregular: 0 };
  for (const u of units) counts[u.class]++;
  return { units, maps, counts };
}

/** The untrained network of a run: the same seed's initial weights. */
export function untrainedParams(cfg: RunConfig): CuevaParams {
  return initParams(modelConfig(cfg), runStreams(cfg.seed).init);
}

const COLUMNS = ['index', 'score60', 'score90', 'score60_minmax', 'spacing', 'orientation', 'border', 'band', 'class'];

function csv(units: UnitResult[]): string {
  const f = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(10))) : 'nan');
  return [COLUMNS.join(','), ...units.map((u) => [u.unit, f(u.score60), f(u.score90), f(u.score60Minmax), f(u.spacing), f(u.orientation), f(u.border), f(u.band), u.class].join(','))].join('\n') + '\n';
}

/** A mosaic tile's label: the unit, its class and the score that earned it (score60 otherwise). */
export function unitLabel(u: UnitResult): string {
  const score = u.class === 'border' ? `b ${u.border.toFixed(2)}` : u.class === 'band' ? `band ${u.band.toFixed(2)}` : `s60 ${Number.isFinite(u.score60) ? u.score60.toFixed(2) : 'nan'}`;
  return `${u.unit} ${u.class}\n${score}`;
}

/**
 * Writes RUN/analysis/: scores.csv (trained, one row per unit), scores_untrained.csv (the null),
 * tuning.csv, rate_maps.npy (units x bins x bins, float32, NaN unvisited) and summary.json (counts
 * per class, trained and untrained). scores.csv is also copied to RUN/scores.csv. The rate-map
 * mosaic is a report figure (RUN/figures/rate_maps.png).
 */
export function writeAnalysis(runDir: string, trained: Analysis, untrained: Analysis, meta: Record<string, unknown>): string {
  const dir = join(runDir, 'analysis');
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'scores.csv'), csv(trained.units));
  writeAtomic(join(runDir, 'scores.csv'), csv(trained.units));
  writeAtomic(join(dir, 'scores_untrained.csv'), csv(untrained.units));
  const f = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : 'nan');
  writeAtomic(join(dir, 'tuning.csv'), ['index,class,speed_score,hd_length,hd_direction', ...trained.units.map((u) => [u.unit, u.class, f(u.speedScore), f(u.hdLength), f(u.hdDirection)].join(','))].join('\n') + '\n');
  const n = trained.maps[0].height;
  const flat = new Float32Array(trained.maps.length * n * n);
  trained.maps.forEach((m, i) => flat.set(m.data, i * n * n));
  writeAtomic(join(dir, 'rate_maps.npy'), encodeNpy(flat, [trained.maps.length, n, n]));
  writeAtomic(join(dir, 'summary.json'), JSON.stringify({ ...meta, counts: trained.counts, untrained_counts: untrained.counts }, null, 2) + '\n');
  return dir;
}

/** Position error over paths far longer than training, and against the number of wall encounters. */
export interface LongPathError {
  steps: number;
  trials: number;
  /** Mean error (cm) in consecutive windows of the path: [window end step, error]. */
  overTime: [number, number][];
  /** Per trial: [wall encounters, mean error (cm) over the path]. */
  byBoundary: [number, number][];
}

export function longPathError(cfg: RunConfig, params: CuevaParams, factor = 100, trials = 16, seed = 777): LongPathError {
  const arena = makeArena(cfg.arena);
  const model = modelConfig(cfg);
  const T = cfg.train.timeSteps * factor;
  const tr = generateTrajectories(arena, cfg.trajectory, trials, T, cfg.encoding, new Rng(seed));
  const { estimates } = rollout(model, params, tr.inputs, T, trials, null, { keepRates: false });
  const windows = 50;
  const per = Math.ceil(T / windows);
  const overTime: [number, number][] = [];
  const sumByTrial = new Float64Array(trials);
  const hits = new Float64Array(trials);
  for (let w = 0; w < windows; w++) {
    let s = 0;
    let n = 0;
    for (let t = w * per; t < Math.min(T, (w + 1) * per); t++) {
      for (let b = 0; b < trials; b++) {
        const pi = ((t + 1) * trials + b) * 2;
        const e = Math.hypot(estimates[(t * trials + b) * 2] - tr.positions[pi], estimates[(t * trials + b) * 2 + 1] - tr.positions[pi + 1]);
        s += e;
        n++;
        sumByTrial[b] += e;
        hits[b] += tr.boundary[t * trials + b];
      }
    }
    if (n) overTime.push([Math.min(T, (w + 1) * per), (100 * s) / n]);
  }
  return { steps: T, trials, overTime, byBoundary: Array.from(hits, (h, b) => [h, (100 * sumByTrial[b]) / T] as [number, number]) };
}

/** Counts per class at every checkpoint of a run (and step 0, the untrained network). */
export function development(cfg: RunConfig, checkpoints: { step: number; params: CuevaParams }[], opts: AnalyzeOptions = {}): { step: number; counts: Record<CellClass, number> }[] {
  const all = [{ step: 0, params: untrainedParams(cfg) }, ...checkpoints.filter((c) => c.step > 0)];
  return all.map(({ step, params }) => ({ step, counts: analyzeParams(cfg, params, opts).counts }));
}

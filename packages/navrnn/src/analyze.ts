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
import { Rng, getBackend } from '@gridcells/tensor';
import {
  classify, encodeNpy, headDirectionTuning, rateMaps, scoreMap, speedTuning, type CellClass, type Point, type RateMap, type UnitScores,
} from '@gridcells/gridscore';
import { makeArena, type Arena } from './arena.js';
import { generateTrajectories, type Trajectories } from './trajectory.js';
import { initParams, rollout, type CuevaParams } from './model.js';
import { initPlaceCellParams, placeCellBatch, placeCellRollout, type PlaceCellParams } from './placecell.js';
import { modelConfig, runStreams } from './train.js';
import { placeCellConfig, placeCellsOf } from './train-placecell.js';
import { writeAtomic } from './checkpoint.js';
import type { RunConfig } from './config.js';

/** The weights of either network (config.network says which). */
export type NetworkParams = CuevaParams | PlaceCellParams;

export interface AnalyzeOptions {
  /** Fresh trajectories (default: 200 for the CuevaRNN's long trials; 100,000 samples' worth for the PlaceCellRNN's short ones). */
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
  /** How the rate maps were made: trials of timeSteps steps, the first burnIn of each left out. */
  trials: number;
  timeSteps: number;
  burnIn: number;
}

/** Arena outline in bin coordinates (x = column, y = row) for the border score. */
/**
 * The square around the arena's bounding box (same centre, the longer side): rate-map bins must be
 * square for autocorrelograms and grid scores to mean what they say, also in a triangle or a
 * hexagon; bins outside the arena stay unvisited (NaN).
 */
export function squareBounds(arena: Arena): [[number, number], [number, number]] {
  const [[x0, x1], [y0, y1]] = arena.bbox;
  const half = Math.max(x1 - x0, y1 - y0) / 2;
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  return [[cx - half, cx + half], [cy - half, cy + half]];
}

function outlineInBins(arena: Arena, bins: number): Point[] {
  const [[x0, x1], [y0, y1]] = squareBounds(arena);
  return arena.outline().map(([x, y]) => [((x - x0) / (x1 - x0)) * bins, ((y - y0) / (y1 - y0)) * bins] as Point);
}

/** The hidden units' activity on trajectories, [T][B][N] (unit activity after each step). */
export function unitActivity(cfg: RunConfig, params: NetworkParams, tr: Trajectories): Float32Array {
  if (cfg.network === 'placecell') {
    return placeCellRollout(placeCellConfig(cfg), params as PlaceCellParams, placeCellBatch(placeCellsOf(cfg).withoutSurround(), tr), getBackend()).rates;
  }
  return rollout(modelConfig(cfg), params as CuevaParams, tr.inputs, tr.steps, tr.batch).rates;
}

export function analyzeParams(cfg: RunConfig, params: NetworkParams, opts: AnalyzeOptions = {}): Analysis {
  const arena = makeArena(cfg.arena);
  const placecell = cfg.network === 'placecell';
  const T = opts.timeSteps ?? cfg.train.timeSteps;
  const trials = opts.trials ?? (placecell ? Math.ceil(100_000 / T) : 200);
  // the CuevaRNN starts every trial at the centre with its state at zero; the PlaceCellRNN starts
  // anywhere, its state set from the start's place code, so it needs no burn-in
  const burnIn = opts.burnIn ?? (placecell ? 0 : Math.floor(0.1 * T));
  const bins = opts.bins ?? 20;
  if (burnIn >= T) throw new Error(`analyze: burn-in ${burnIn} leaves no steps of ${T}`);
  const tr = generateTrajectories(arena, cfg.trajectory, trials, T, cfg.encoding, new Rng(opts.seed ?? 4242));
  const rates = unitActivity(cfg, params, tr);
  const N = cfg.model.hidden;
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
  const { maps } = rateMaps(x, y, act, N, { bins: [bins, bins], bounds: squareBounds(arena), arena: arena.outline() });
  const border = { arena: outlineInBins(arena, bins) };
  // tanh units can be negative; the scores are invariant to scale, and shifting by +1 makes the
  // rates non-negative as the border and band scores' field detection expects (ReLU units are)
  const shift = placecell ? 0 : 1;
  const shifted = maps.map((m) => ({ ...m, data: m.data.map((v) => v + shift) }));
  const units = shifted.map((m, unit) => {
    const s = scoreMap(m, { border });
    const series = unitSeries(unit);
    const hd = headDirectionTuning(heading, series.map((v) => v + shift));
    return { unit, ...s, class: classify(s), speedScore: speedTuning(speed, series).correlation, hdLength: hd.resultantLength, hdDirection: hd.preferredDirection };
  });
  const counts: Record<CellClass, number> = { grid: 0, border: 0, band: 0, irregular: 0 };
  for (const u of units) counts[u.class]++;
  return { units, maps, counts, trials, timeSteps: T, burnIn };
}

/** The untrained network of a run: the same seed's initial weights. */
export function untrainedParams(cfg: RunConfig): NetworkParams {
  if (cfg.network === 'placecell') return initPlaceCellParams(placeCellConfig(cfg), runStreams(cfg.seed).init);
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

export function longPathError(cfg: RunConfig, params: NetworkParams, factor = 100, trials = 16, seed = 777): LongPathError {
  const arena = makeArena(cfg.arena);
  const T = cfg.train.timeSteps * factor;
  const tr = generateTrajectories(arena, cfg.trajectory, trials, T, cfg.encoding, new Rng(seed));
  let estimates: ArrayLike<number>;
  if (cfg.network === 'placecell') {
    // decoded as in training: the mean centre of the three most active place cells
    const cells = placeCellsOf(cfg, arena).withoutSurround();
    const { logits } = placeCellRollout(placeCellConfig(cfg), params as PlaceCellParams, placeCellBatch(cells, tr), getBackend());
    estimates = cells.decode(logits, T * trials);
  } else {
    estimates = rollout(modelConfig(cfg), params as CuevaParams, tr.inputs, T, trials, null, { keepRates: false }).estimates;
  }
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
export function development(cfg: RunConfig, checkpoints: { step: number; params: NetworkParams }[], opts: AnalyzeOptions = {}): { step: number; counts: Record<CellClass, number> }[] {
  const all = [{ step: 0, params: untrainedParams(cfg) }, ...checkpoints.filter((c) => c.step > 0)];
  return all.map(({ step, params }) => ({ step, counts: analyzeParams(cfg, params, opts).counts }));
}

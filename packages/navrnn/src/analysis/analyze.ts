/**
 * Analysis of a trained network: its units' rate maps on fresh trajectories, their grid, border and
 * band scores (@gridcells/gridscore) and classes, beside the same analysis of the untrained network
 * (same seed, step 0) as the null: smooth untrained tanh units already reach high grid scores, so
 * counts mean something only against that baseline.
 *
 * Rate maps of a network whose trials all start at the centre with the state at zero (the CuevaRNN)
 * leave out the first `burnIn` steps of every trajectory: without this the start shows up as a spot
 * at the centre bin.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@gridcells/tensor';
import {
  classify, encodeNpy, headDirectionTuning, rateMaps, scoreMap, speedTuning, type CellClass, type Point, type RateMap, type UnitScores,
} from '@gridcells/gridscore';
import { makeArena, type Arena } from '../world/arena.js';
import { generateTrajectories, positionsAfterSteps } from '../world/trajectory.js';
import { runStreams, type RunConfig } from '../config.js';
import { cpuBackend } from '../backends/resolve.js';
import { networkFor } from '../networks/build.js';
import type { Network, Weights } from '../networks/network.js';
import { writeAtomic } from '../run/files.js';

/** An analysis option that cannot work (a burn-in longer than the paths, too many samples). */
export class AnalysisError extends Error {
  override name = 'AnalysisError';
}

/** The most samples (trajectories x steps) one evaluation or rate-map pass draws: bounds memory and time. */
export const MAX_SAMPLES = 10_000_000;

/** How the rate maps are made. */
export interface AnalyzeOptions {
  /** Fresh trajectories (default: 200 where trials start at the centre (long trials); else 100,000 samples' worth). */
  trials?: number;
  /** Steps per trajectory (default: the training length). */
  timeSteps?: number;
  /** Leading steps of each trajectory left out of the rate maps (default 10% of them where trials start at the centre, else 0). */
  burnIn?: number;
  bins?: number;
  seed?: number;
}

/** One unit's scores, class and tuning. */
export interface UnitResult extends UnitScores {
  unit: number;
  class: CellClass;
  /** Pearson correlation of the unit's rate with running speed (Kropff et al. 2015's speed score). */
  speedScore: number;
  /** Head-direction tuning: mean resultant length and preferred direction (degrees). */
  hdLength: number;
  hdDirection: number;
}

/** Every unit's result and rate map, the counts per class, and how the maps were made. */
export interface Analysis {
  units: UnitResult[];
  maps: RateMap[];
  counts: Record<CellClass, number>;
  /** How the rate maps were made: trials of timeSteps steps, the first burnIn of each left out. */
  trials: number;
  timeSteps: number;
  burnIn: number;
}

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

/** Arena outline in bin coordinates (x = column, y = row) for the border score. */
function outlineInBins(arena: Arena, bins: number): Point[] {
  const [[x0, x1], [y0, y1]] = squareBounds(arena);
  return arena.outline().map(([x, y]) => [((x - x0) / (x1 - x0)) * bins, ((y - y0) / (y1 - y0)) * bins] as Point);
}

/**
 * Scores every unit of a network with the given weights on fresh trajectories (seeded: the same
 * maps for the same weights).
 */
export function analyzeParams(cfg: RunConfig, params: Weights, opts: AnalyzeOptions = {}, network: Network = analysisNetwork(cfg)): Analysis {
  const arena = makeArena(cfg.arena);
  const T = opts.timeSteps ?? cfg.train.timeSteps;
  const centred = network.startsAtCentre;
  const trials = opts.trials ?? (centred ? 200 : Math.ceil(100_000 / T));
  // a network that starts anywhere has its state set from the start position, so it needs no burn-in
  const burnIn = opts.burnIn ?? (centred ? Math.floor(0.1 * T) : 0);
  const bins = opts.bins ?? 20;
  if (!(Number.isInteger(burnIn) && burnIn >= 0)) throw new AnalysisError(`--burn-in must be an integer >= 0, got ${burnIn}`);
  if (burnIn >= T) throw new AnalysisError(`--burn-in ${burnIn} leaves no steps of the ${T} in each trajectory`);
  if (trials * T > MAX_SAMPLES) throw new AnalysisError(`--trials ${trials} x ${T} steps is more than ${MAX_SAMPLES} samples`);
  const tr = generateTrajectories(arena, cfg.trajectory, trials, T, cfg.encoding, new Rng(opts.seed ?? 4242));
  const rates = network.run(params, tr).rates;
  const truth = positionsAfterSteps(tr);
  const N = network.units;
  const kept = (T - burnIn) * trials;
  const x = new Float64Array(kept);
  const y = new Float64Array(kept);
  const speed = new Float64Array(kept);
  const heading = new Float64Array(kept);
  const act = new Float64Array(kept * N);
  let k = 0;
  for (let t = burnIn; t < T; t++) {
    for (let b = 0; b < trials; b++) {
      // the position after step t, where u_t was read
      x[k] = truth[(t * trials + b) * 2];
      y[k] = truth[(t * trials + b) * 2 + 1];
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
  const shift = network.signedRates ? 1 : 0;
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

/** The network a run is analysed with: its config's, on the CPU kernels. */
export function analysisNetwork(cfg: RunConfig): Network {
  return networkFor(cfg, cpuBackend(cfg.backend));
}

/** The untrained network of a run: the same seed's initial weights. */
export function untrainedParams(cfg: RunConfig, network: Network = analysisNetwork(cfg)): Weights {
  return network.init(runStreams(cfg.seed).init);
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

/**
 * Counts per class at every checkpoint of a run (and step 0, the untrained network). `scored`:
 * counts of weights already analysed with the same options, used instead of scoring them again.
 */
export function development(
  cfg: RunConfig, checkpoints: { step: number; params: Weights }[], opts: AnalyzeOptions = {}, network: Network = analysisNetwork(cfg),
  untrained: Weights = untrainedParams(cfg, network), scored: Map<Weights, Record<CellClass, number>> = new Map(),
): { step: number; counts: Record<CellClass, number> }[] {
  const all = [{ step: 0, params: untrained }, ...checkpoints.filter((c) => c.step > 0)];
  return all.map(({ step, params }) => ({ step, counts: scored.get(params) ?? analyzeParams(cfg, params, opts, network).counts }));
}

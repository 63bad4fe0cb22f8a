/**
 * Analysis of a trained network: its units' rate maps on fresh trajectories, their scores,
 * tests, tunings and significance against their own shuffles (@gridcells/gridscore's
 * analyseSession), beside the same analysis of the untrained network (same seed, step 0) as the
 * null: smooth untrained tanh units already reach high grid scores, so counts mean something only
 * against that baseline.
 *
 * Rate maps of a network whose trials all start at the centre with the state at zero (the CuevaRNN)
 * leave out the first `burnIn` steps of every trajectory: without this the start shows up as a spot
 * at the centre bin. The trajectories are laid end to end as one session for the shuffles.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@gridcells/tensor';
import {
  analyseSessionThreads, encodeNpy, minimumShift, sessionScoresCsv, type CellClass, type SessionAnalysis, type UnitAnalysis,
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

/** How the rate maps are made and tested. */
export interface AnalyzeOptions {
  /** Fresh trajectories (default: 200 where trials start at the centre (long trials); else 100,000 samples' worth). */
  trials?: number;
  /** Steps per trajectory (default: the training length). */
  timeSteps?: number;
  /** Leading steps of each trajectory left out of the rate maps (default 10% of them where trials start at the centre, else 0). */
  burnIn?: number;
  bins?: number;
  /** Seed of the fresh trajectories and of the shuffles (default 4242). */
  seed?: number;
  /** Shuffles per unit for the significance tests (default 100; 0: none). */
  shuffles?: number;
  /** Threads that score the units (default: the cores; the numbers do not depend on it). */
  threads?: number;
}

/** Every unit's result and rate map, the counts per class, how the maps were made, and what the analysis cost. */
export interface Analysis extends SessionAnalysis {
  /** How the rate maps were made: trials of timeSteps steps, the first burnIn of each left out. */
  trials: number;
  timeSteps: number;
  burnIn: number;
  /** Wall time of the analysis, in seconds, and the threads it used. */
  seconds: number;
  threads: number;
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

/**
 * Scores every unit of a network with the given weights on fresh trajectories, with shuffles
 * (seeded: the same maps and percentiles for the same weights, on any number of threads).
 */
export async function analyzeParams(cfg: RunConfig, params: Weights, opts: AnalyzeOptions = {}, network: Network = analysisNetwork(cfg)): Promise<Analysis> {
  const t0 = Date.now();
  const arena = makeArena(cfg.arena);
  const T = opts.timeSteps ?? cfg.train.timeSteps;
  const centred = network.startsAtCentre;
  const trials = opts.trials ?? (centred ? 200 : Math.ceil(100_000 / T));
  // a network that starts anywhere has its state set from the start position, so it needs no burn-in
  const burnIn = opts.burnIn ?? (centred ? Math.floor(0.1 * T) : 0);
  const bins = opts.bins ?? 20;
  const seed = opts.seed ?? 4242;
  if (!(Number.isInteger(burnIn) && burnIn >= 0)) throw new AnalysisError(`--burn-in must be an integer >= 0, got ${burnIn}`);
  if (burnIn >= T) throw new AnalysisError(`--burn-in ${burnIn} leaves no steps of the ${T} in each trajectory`);
  if (trials * T > MAX_SAMPLES) throw new AnalysisError(`--trials ${trials} x ${T} steps is more than ${MAX_SAMPLES} samples`);
  const tr = generateTrajectories(arena, cfg.trajectory, trials, T, cfg.encoding, new Rng(seed));
  const rates = network.run(params, tr).rates;
  const truth = positionsAfterSteps(tr);
  const N = network.units;
  const steps = T - burnIn;
  const kept = steps * trials;
  const x = new Float64Array(kept);
  const y = new Float64Array(kept);
  const speed = new Float64Array(kept);
  const heading = new Float64Array(kept);
  const activity = new Float64Array(kept * N);
  // trajectory by trajectory (one session, end to end), each at the position after step t, where u_t was read
  for (let b = 0, k = 0; b < trials; b++) {
    for (let t = burnIn; t < T; t++, k++) {
      const q = t * trials + b;
      [x[k], y[k]] = [truth[2 * q], truth[2 * q + 1]];
      [speed[k], heading[k]] = [tr.speeds[q], tr.headings[q]];
      activity.set(rates.subarray(q * N, (q + 1) * N), k * N);
    }
  }
  const threads = opts.threads ?? availableParallelism();
  const dt = cfg.trajectory.kind === 'sorscher' ? cfg.trajectory.dt : undefined;
  const shuffles = opts.shuffles ?? 100;
  const minShift = minimumShift(kept, steps, dt);
  if (shuffles > 0 && kept < 2 * minShift + 1) {
    throw new AnalysisError(`--trials ${trials} x ${steps} steps are too few samples (${kept}) for shuffles of at least ${minShift} samples: use more trials, or --shuffles 0`);
  }
  const a = await analyseSessionThreads(
    { x, y, activity, units: N, heading, speed, trajectoryLength: steps, dt },
    { maps: { bins: [bins, bins], bounds: squareBounds(arena), arena: arena.outline() }, signed: network.signedRates, shuffles, seed },
    threads,
  );
  return { ...a, trials, timeSteps: T, burnIn, seconds: (Date.now() - t0) / 1000, threads };
}

/** The network a run is analysed with: its config's, on the CPU kernels (with the place cells saved in `runDir`, if given). */
export function analysisNetwork(cfg: RunConfig, runDir?: string): Network {
  return networkFor(cfg, cpuBackend(cfg.backend), runDir);
}

/** The untrained network of a config: the seed's initial weights (a run folder keeps them as its step-0 checkpoint). */
export function untrainedParams(cfg: RunConfig, network: Network = analysisNetwork(cfg)): Weights {
  return network.init(runStreams(cfg.seed).init);
}

/** A mosaic tile's label: the unit, its class and the score that earned it (score60 otherwise). */
export function unitLabel(u: UnitAnalysis): string {
  const score = u.class === 'border' ? `b ${u.border.toFixed(2)}` : u.class === 'band' ? `band ${u.band.toFixed(2)}` : `s60 ${Number.isFinite(u.score60) ? u.score60.toFixed(2) : 'nan'}`;
  return `${u.unit} ${u.class}\n${score}`;
}

/**
 * Writes RUN/analysis/: scores.csv (trained, one row per unit: scores, tests, class, tunings and
 * shuffle percentiles; also copied to RUN/scores.csv), scores_untrained.csv (the null),
 * rate_maps.npy (units x bins x bins, float32, NaN unvisited) and summary.json (counts per class on
 * thresholds and on thresholds and significance, trained and untrained, flag counts, the shuffles
 * and what the analysis cost). The rate-map mosaic is a report figure (RUN/figures/rate_maps.png).
 */
export function writeAnalysis(runDir: string, trained: Analysis, untrained: Analysis, meta: Record<string, unknown>): string {
  const dir = join(runDir, 'analysis');
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'scores.csv'), sessionScoresCsv(trained.units));
  writeAtomic(join(runDir, 'scores.csv'), sessionScoresCsv(trained.units));
  writeAtomic(join(dir, 'scores_untrained.csv'), sessionScoresCsv(untrained.units));
  const n = trained.maps[0].height;
  const flat = new Float32Array(trained.maps.length * n * n);
  trained.maps.forEach((m, i) => flat.set(m.data, i * n * n));
  writeAtomic(join(dir, 'rate_maps.npy'), encodeNpy(flat, [trained.maps.length, n, n]));
  const summary = {
    ...meta,
    counts: trained.counts, significant_counts: trained.significantCounts, flags: trained.flagCounts,
    untrained_counts: untrained.counts, untrained_significant_counts: untrained.significantCounts, untrained_flags: untrained.flagCounts,
    shuffles: trained.shuffles, min_shift_samples: trained.minShift, percentile: trained.percentile,
    analysis_seconds: { trained: trained.seconds, untrained: untrained.seconds }, analysis_threads: trained.threads,
  };
  writeAtomic(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return dir;
}

/**
 * Counts per class at every checkpoint of a run (and step 0, the untrained network). `scored`:
 * counts of weights already analysed with the same options, used instead of scoring them again.
 */
export async function development(
  cfg: RunConfig, checkpoints: { step: number; params: Weights }[], opts: AnalyzeOptions = {}, network: Network = analysisNetwork(cfg),
  untrained: Weights = untrainedParams(cfg, network), scored: Map<Weights, Record<CellClass, number>> = new Map(),
): Promise<{ step: number; counts: Record<CellClass, number> }[]> {
  const all = [{ step: 0, params: untrained }, ...checkpoints.filter((c) => c.step > 0)];
  const out: { step: number; counts: Record<CellClass, number> }[] = [];
  // counts on thresholds need no shuffles
  for (const { step, params } of all) out.push({ step, counts: scored.get(params) ?? (await analyzeParams(cfg, params, { ...opts, shuffles: 0 }, network)).counts });
  return out;
}

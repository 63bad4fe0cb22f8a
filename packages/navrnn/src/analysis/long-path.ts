/**
 * Path integration far beyond the training length: the error along long paths, and against how
 * often each path met a wall (where a network could correct itself from the boundary).
 */
import { Rng } from '@gridcells/tensor';
import { makeArena } from '../world/arena.js';
import { generateTrajectories, positionsAfterSteps } from '../world/trajectory.js';
import type { RunConfig } from '../config.js';
import type { Network, Weights } from '../networks/network.js';
import { AnalysisError, MAX_SAMPLES, analysisNetwork } from './analyze.js';

/** Position error over paths far longer than training, and against the number of wall encounters. */
export interface LongPathError {
  steps: number;
  trials: number;
  /** Mean error (cm) in consecutive windows of the path: [window end step, error]. */
  overTime: [number, number][];
  /** Per trial: [wall encounters, mean error (cm) over the path]. */
  byBoundary: [number, number][];
}

/** The error of the network on `trials` seeded paths `factor` times the training length. */
export function longPathError(cfg: RunConfig, params: Weights, factor = 100, trials = 16, seed = 777, network: Network = analysisNetwork(cfg)): LongPathError {
  const T = cfg.train.timeSteps * factor;
  if (T * trials > MAX_SAMPLES) throw new AnalysisError(`--long-factor ${factor}: ${trials} paths of ${T} steps are more than ${MAX_SAMPLES} samples`);
  const tr = generateTrajectories(makeArena(cfg.arena), cfg.trajectory, trials, T, cfg.encoding, new Rng(seed));
  const { estimates } = network.run(params, tr, { keepRates: false });
  const truth = positionsAfterSteps(tr);
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
        const k = (t * trials + b) * 2;
        const e = Math.hypot(estimates[k] - truth[k], estimates[k + 1] - truth[k + 1]);
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


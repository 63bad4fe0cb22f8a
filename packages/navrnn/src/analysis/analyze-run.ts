/**
 * The whole analysis of a run folder: a checkpoint and the untrained network scored, every
 * checkpoint counted for the development curves, the long-path test, then analysis/, scores.csv
 * and report.html written.
 */
import { getBackend, setBackend } from '@gridcells/tensor';
import { cpuBackend, tensorKernels } from '../backends/resolve.js';
import { listCheckpoints } from '../run/checkpoint.js';
import { loadRun, loadRunCheckpoint, readJsonFile } from '../run/load.js';
import { join } from 'node:path';
import { analysisNetwork, analyzeParams, development, untrainedParams, writeAnalysis, type Analysis, type AnalyzeOptions } from './analyze.js';
import { longPathError } from './long-path.js';
import { writeReport } from './report.js';

/** Where the analysis went and what it found. */
export interface RunAnalysis {
  step: number;
  trained: Analysis;
  untrained: Analysis;
  /** RUN/analysis/ */
  analysisDir: string;
  /** RUN/report.html */
  report: string;
}

/**
 * Analyses a run (default: its latest checkpoint) on the CPU kernels of its backend.
 *
 * @example
 * const a = await analyzeRun('runs/quick');
 * console.log(a.trained.counts, 'against', a.untrained.counts);
 */
export async function analyzeRun(runDir: string, opts: AnalyzeOptions & { checkpoint?: string; longFactor?: number } = {}): Promise<RunAnalysis> {
  const { cfg, dir, params, step } = loadRun(runDir, opts.checkpoint);
  const backend = cpuBackend(cfg.backend);
  const previous = getBackend();
  setBackend(tensorKernels(backend));
  try {
    const network = analysisNetwork(cfg, runDir);
    const mapOpts: AnalyzeOptions = { trials: opts.trials, burnIn: opts.burnIn, shuffles: opts.shuffles, threads: opts.threads };
    const trained = await analyzeParams(cfg, params, mapOpts, network);
    const checkpoints = listCheckpoints(runDir).map(([step, d]) => ({ step, params: d === dir ? params : loadRunCheckpoint(cfg, d).params }));
    // runs started before step 0 was saved get it from the seed
    const untrainedWeights = checkpoints.find((c) => c.step === 0)?.params ?? untrainedParams(cfg, network);
    const untrained = await analyzeParams(cfg, untrainedWeights, mapOpts, network);
    // the checkpoint analysed above and the untrained network are not scored twice
    const scored = new Map([[params, trained.counts], [untrainedWeights, untrained.counts]]);
    const dev = await development(cfg, checkpoints, mapOpts, network, untrainedWeights, scored);
    const longPath = longPathError(cfg, params, opts.longFactor ?? 100, 16, 777, network);
    const analysisDir = writeAnalysis(runDir, trained, untrained, { checkpoint: dir, step, trials: opts.trials, backend, development: dev, long_path: longPath });
    const config = readJsonFile(join(runDir, 'config.json'), 'the run config') as Record<string, unknown>;
    const report = writeReport({ runDir, config, trained, untrained, development: dev, longPath, step });
    return { step, trained, untrained, analysisDir, report };
  } finally {
    setBackend(previous);
  }
}

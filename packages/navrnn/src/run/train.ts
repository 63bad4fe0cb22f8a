/**
 * Training: batches of fresh trajectories each step, the config's optimizer, held-out evaluation,
 * `metrics.jsonl`, atomic checkpoints and exact resumption, for any `Network`. A NaN or Inf loss or
 * gradient stops the run with a message; the last good checkpoint stays as it was.
 */
import { Rng, getBackend, setBackend } from '@gridcells/tensor';
import { runStreams, type RunConfig } from '../config.js';
import { releaseWebGpu } from '../backends/webgpu.js';
import { tensorKernels, type ResolvedBackend } from '../backends/resolve.js';
import { makeArena } from '../world/arena.js';
import { generateTrajectories, type Trajectories } from '../world/trajectory.js';
import { checkTrainable, networkFor, resolveRunBackend } from '../networks/build.js';
import { evaluate, weightList, type Network, type Weights } from '../networks/network.js';
import { chunked, localRunner } from '../networks/chunks.js';
import { ThreadPool } from './threads.js';
import { latestCheckpoint, saveArrays, saveCheckpoint } from './checkpoint.js';
import { appendMetrics, checkRunFolder, configHash, openRun, type MetricsLine, type OpenMode } from './folder.js';
import { makeFolder } from './files.js';
import { acquireRunLock } from './lock.js';
import { makeStepper } from './optimizer.js';

/** Where training is, for a progress line. */
export interface Progress {
  step: number;
  steps: number;
  loss: number;
  /** RMS position error of the step's batch (cm); NaN where the network's loss has none. */
  rmseCm: number;
  evalErrorCm: number | null;
  stepsPerSecond: number;
  etaSeconds: number;
}

/** Where a run goes and how. */
export interface TrainOptions {
  /** The run folder. */
  out: string;
  /** Continue the run in `out` from its latest checkpoint (or start it over when it has none). */
  resume?: boolean;
  /** Discard the run in `out` and start a new one (never touches a folder that holds no run). */
  force?: boolean;
  /** Told what the run folder needed (a torn metrics line dropped, a run started over). */
  notify?: (message: string) => void;
  onProgress?: (p: Progress) => void;
  /** Stop (as if killed) after this step; for tests of resumption. */
  stopAfter?: number;
}

/** How a run ended: its last step, held-out error (and the centre's), backend, time and weights. */
export interface TrainResult {
  step: number;
  evalErrorCm: number;
  centreErrorCm: number;
  backend: ResolvedBackend;
  seconds: number;
  params: Weights;
}

/** The loss or gradient became NaN or Inf. */
export class TrainingError extends Error {
  override name = 'TrainingError';
}

/** Stops the run (keeping its last checkpoint) when the loss or the gradient is NaN or Inf. */
export function checkFinite(step: number, loss: number, gradNorm: number, out: string): void {
  if (Number.isFinite(loss) && Number.isFinite(gradNorm)) return;
  const last = latestCheckpoint(out);
  throw new TrainingError(
    `step ${step}: the ${Number.isFinite(loss) ? 'gradient' : 'loss'} is ${Number.isFinite(loss) ? gradNorm : loss}; training stopped. ` +
      (last ? `The last good checkpoint is ${last}.` : 'No checkpoint was written yet.') + ' Try a lower train.lr or a gradient clip.',
  );
}

/** The held-out trials every evaluation of a run uses (regenerated from the seed, never trained on). */
export function heldOut(cfg: RunConfig): Trajectories {
  return generateTrajectories(makeArena(cfg.arena), cfg.trajectory, cfg.train.evalBatch, cfg.train.timeSteps, cfg.encoding, runStreams(cfg.seed).evaluation);
}

/**
 * Trains the config's network into the run folder `opts.out` (or resumes it), on the config's
 * backend ('auto' resolved and reported in the result).
 *
 * @example
 * const r = await train(presetConfig('quick'), { out: 'runs/quick' });
 * console.log(`${r.evalErrorCm.toFixed(1)} cm after ${r.step} steps on ${r.backend}`);
 */
export async function train(cfg: RunConfig, opts: TrainOptions): Promise<TrainResult> {
  const backend = await resolveRunBackend(cfg);
  checkTrainable(cfg, backend);
  const mode: OpenMode = opts.resume ? 'resume' : opts.force ? 'force' : 'new';
  checkRunFolder(opts.out, mode);
  makeFolder(opts.out);
  const release = acquireRunLock(opts.out);
  const previous = getBackend();
  setBackend(tensorKernels(backend));
  let network: Network | null = null;
  let pool: ThreadPool | null = null;
  try {
    network = networkFor(cfg, backend);
    // worker threads share the batch where the network's loss comes in chunks of trials (CPU kernels)
    if (network.trials && cfg.train.threads > 1) pool = new ThreadPool(cfg, backend, cfg.train.threads);
    return await trainNetwork(chunked(network, pool ?? localRunner, cfg.train.chunkTrials), backend, cfg, { ...opts, mode });
  } finally {
    setBackend(previous);
    network?.dispose();
    await pool?.close();
    if (backend === 'webgpu') await releaseWebGpu();
    release();
  }
}

async function trainNetwork(network: Network, backend: ResolvedBackend, cfg: RunConfig, opts: TrainOptions & { mode: OpenMode }): Promise<TrainResult> {
  const t0 = Date.now();
  const arena = makeArena(cfg.arena);
  const hash = configHash(cfg);
  const streams = runStreams(cfg.seed);
  let weights = network.init(streams.init);
  let dataRng = streams.data;
  const stepper = makeStepper(cfg);
  let start = 0;

  const resumed = openRun(cfg, opts.out, opts.mode, backend, network.shapes, opts.notify);
  if (resumed) {
    weights = resumed.params;
    stepper.loadState(resumed.state.optimizer);
    dataRng = Rng.fromState(resumed.state.rng);
    start = resumed.state.step;
  }

  const evalTrials = heldOut(cfg);
  const log = (m: MetricsLine) => appendMetrics(opts.out, m);
  let lastEval: number | null = null;
  let centre = NaN;
  if (!resumed) {
    const e = evaluate(network, weights, evalTrials);
    [lastEval, centre] = [e.errorCm, e.centreCm];
    log({ step: 0, eval_error_cm: e.errorCm, centre_error_cm: e.centreCm, time_s: (Date.now() - t0) / 1000 });
    // the untrained network, and what it was built with, for analyses against it
    if (network.fixedArrays) saveArrays(opts.out, network.fixedArrays);
    saveCheckpoint(opts.out, weights, { step: 0, optimizer: stepper.state(), rng: dataRng.state(), configHash: hash });
  }
  const list = weightList(network, weights);
  const end = Math.min(cfg.train.steps, opts.stopAfter ?? Infinity);
  const tStart = Date.now();
  // A step's batch, and the data stream's state right after drawing it: what a checkpoint of that
  // step keeps, so a resumed run draws the next batch again even when it was drawn ahead.
  const draw = () => {
    const tr = generateTrajectories(arena, cfg.trajectory, cfg.train.batch, cfg.train.timeSteps, cfg.encoding, dataRng);
    return { batch: network.trainingBatch(tr, dataRng), rngAfter: dataRng.state() };
  };
  let ahead: ReturnType<typeof draw> | null = null;
  for (let step = start + 1; step <= end; step++) {
    const { batch, rngAfter } = ahead ?? draw();
    ahead = null;
    // while a device or worker threads compute this step, this thread draws the next step's batch
    // (at batch 500 x 500 drawing the trajectories takes about as long as the step on an H100)
    const whileComputing = step < end ? () => void (ahead = draw()) : undefined;
    const { result, gradNorm, fields } = await stepper.step({
      network, weights, list, batch, step, whileComputing, check: (loss, norm) => checkFinite(step, loss, norm, opts.out),
    });
    network.recycle?.(batch);
    const line: MetricsLine = { step, loss: result.loss, ...result.parts, grad_norm: gradNorm, ...fields, time_s: (Date.now() - t0) / 1000 };
    if (step % cfg.train.evalEvery === 0 || step === cfg.train.steps) {
      const e = evaluate(network, weights, evalTrials);
      [lastEval, centre] = [e.errorCm, e.centreCm];
      line.eval_error_cm = e.errorCm;
    }
    log(line);
    if (step % cfg.train.checkpointEvery === 0 || step === cfg.train.steps) {
      saveCheckpoint(opts.out, weights, { step, optimizer: stepper.state(), rng: rngAfter, configHash: hash });
    }
    const rate = (step - start) / ((Date.now() - tStart) / 1000);
    opts.onProgress?.({ step, steps: cfg.train.steps, loss: result.loss, rmseCm: result.parts.rmse_cm ?? NaN, evalErrorCm: lastEval, stepsPerSecond: rate, etaSeconds: (cfg.train.steps - step) / rate });
  }
  if (lastEval === null || Number.isNaN(centre)) {
    const e = evaluate(network, weights, evalTrials);
    [lastEval, centre] = [e.errorCm, e.centreCm];
  }
  return { step: end, evalErrorCm: lastEval, centreErrorCm: centre, backend, seconds: (Date.now() - t0) / 1000, params: weights };
}

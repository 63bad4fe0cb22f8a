/**
 * Training a PlaceCellRNN (placecell.ts): the same run folder, metrics, checkpoints, resumption and
 * NaN handling as the CuevaRNN's (train.ts), with the place-cell readout's loss (cross-entropy) and
 * its position error (the mean centre of the three most active place cells, as Sorscher et al.
 * decode). Runs on the fused BPTT (wasm or js kernels).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, type Backend } from '@gridcells/tensor';
import { Adam, SGD, clipGradNorm, globalNorm, type Optimizer, type OptimizerState } from '@gridcells/autograd';
import { makeArena, type Arena } from './arena.js';
import { generateTrajectories, INPUT_SIZE, type Trajectories } from './trajectory.js';
import {
  PlaceCells, initPlaceCellParams, placeCellBatch, placeCellLossAndGrad, placeCellRollout, placeParamList,
  type PlaceCellConfig, type PlaceCellParams,
} from './placecell.js';
import { saveCheckpoint } from './checkpoint.js';
import {
  RunFolderError, checkFinite, configHash, kernelsOf, learningRate, openRun, runStreams,
  type MetricsLine, type ResolvedBackend, type TrainOptions,
} from './train.js';
import type { RunConfig } from './config.js';

export function placeCellConfig(cfg: RunConfig): PlaceCellConfig {
  const pc = cfg.placeCells;
  return { hidden: cfg.model.hidden, places: pc.count, nInputs: INPUT_SIZE[cfg.encoding], sigma: pc.sigma, surround: pc.surround, weightDecay: pc.weightDecay };
}

export function placeCellShapes(m: PlaceCellConfig): Record<keyof PlaceCellParams, number[]> {
  return { wEnc: [m.places, m.hidden], wRec: [m.hidden, m.hidden], wIn: [m.nInputs, m.hidden], wOut: [m.hidden, m.places] };
}

/**
 * A run's place cells (centres from its seed) with its code. Start positions are always given to
 * the network in the plain code (`withoutSurround()`; see trainPlaceCells).
 */
export function placeCellsOf(cfg: RunConfig, arena: Arena = makeArena(cfg.arena)): PlaceCells {
  const pc = cfg.placeCells;
  return PlaceCells.inArena(arena, pc.count, pc.sigma, pc.surround, runStreams(cfg.seed).placeCells);
}

/** Mean decoding error (cm) over every step of the trials, and of always answering the arena's centre. */
export function evaluatePlaceCells(model: PlaceCellConfig, cells: PlaceCells, params: PlaceCellParams, tr: Trajectories, kernels: Backend): { errorCm: number; centreCm: number } {
  const { logits } = placeCellRollout(model, params, placeCellBatch(cells, tr), kernels);
  const rows = tr.steps * tr.batch;
  const est = cells.decode(logits, rows);
  let e = 0;
  let c = 0;
  for (let k = 0; k < rows; k++) {
    const [x, y] = [tr.positions[(tr.batch + k) * 2], tr.positions[(tr.batch + k) * 2 + 1]];
    e += Math.hypot(est[2 * k] - x, est[2 * k + 1] - y);
    c += Math.hypot(x, y);
  }
  return { errorCm: (100 * e) / rows, centreCm: (100 * c) / rows };
}

export interface PlaceCellTrainResult {
  step: number;
  evalErrorCm: number;
  centreErrorCm: number;
  backend: ResolvedBackend;
  seconds: number;
  params: PlaceCellParams;
}

export async function trainPlaceCells(backend: ResolvedBackend, cfg: RunConfig, opts: TrainOptions): Promise<PlaceCellTrainResult> {
  if (backend !== 'wasm' && backend !== 'js') {
    throw new RunFolderError(`network placecell runs on the fused TypeScript/WebAssembly kernels: use backend wasm or js, not ${backend}`);
  }
  if (cfg.train.optimizer === 'hf') throw new RunFolderError('network placecell: optimizer hf is for the CuevaRNN; use adam or sgd');
  const kernels = kernelsOf(backend);
  const t0 = Date.now();
  const arena = makeArena(cfg.arena);
  const model = placeCellConfig(cfg);
  // The start position reaches the network as the plain (centre-only) code: it is sharp, so the
  // network knows where it starts; the targets are the difference-of-softmaxes code. Sorscher et
  // al. encode the start with the targets' code; with that, the small networks here did not learn
  // to path-integrate within the CPU budget (decoded error above answering the centre).
  const dos = placeCellsOf(cfg, arena);
  const plain = dos.withoutSurround();
  const hash = configHash(cfg);
  const metricsPath = join(opts.out, 'metrics.jsonl');
  const streams = runStreams(cfg.seed);
  let params = initPlaceCellParams(model, streams.init);
  let dataRng = streams.data;
  const optimizer: Optimizer = cfg.train.optimizer === 'sgd' ? new SGD({ lr: cfg.train.lr, momentum: cfg.train.momentum }) : new Adam({ lr: cfg.train.lr });
  let start = 0;
  const resumed = openRun(cfg, opts, backend, placeCellShapes(model));
  if (resumed) {
    params = resumed.params;
    optimizer.loadState(resumed.state.optimizer as OptimizerState);
    dataRng = Rng.fromState(resumed.state.rng);
    start = resumed.state.step;
  }
  const heldOut = generateTrajectories(arena, cfg.trajectory, cfg.train.evalBatch, cfg.train.timeSteps, cfg.encoding, streams.evaluation);
  const log = (m: MetricsLine) => appendFileSync(metricsPath, JSON.stringify(m) + '\n');
  let lastEval: number | null = null;
  let centre = NaN;
  if (start === 0) {
    const e = evaluatePlaceCells(model, plain, params, heldOut, kernels);
    [lastEval, centre] = [e.errorCm, e.centreCm];
    log({ step: 0, eval_error_cm: e.errorCm, centre_error_cm: e.centreCm, time_s: (Date.now() - t0) / 1000 });
  }
  const list = placeParamList(params);
  const end = Math.min(cfg.train.steps, opts.stopAfter ?? Infinity);
  const tStart = Date.now();
  for (let step = start + 1; step <= end; step++) {
    const tr = generateTrajectories(arena, cfg.trajectory, cfg.train.batch, cfg.train.timeSteps, cfg.encoding, dataRng);
    const r = placeCellLossAndGrad(model, params, placeCellBatch(plain, tr, dos), kernels);
    const norm = globalNorm(r.grads);
    checkFinite(step, r.loss, norm, opts.out);
    optimizer.lr = learningRate(cfg, step - 1);
    optimizer.step(list, cfg.train.clip ? clipGradNorm(r.grads, cfg.train.clip).grads : r.grads);
    const line: MetricsLine = { step, loss: r.loss, cross_entropy: r.crossEntropy, grad_norm: norm, lr: optimizer.lr, time_s: (Date.now() - t0) / 1000 };
    if (step % cfg.train.evalEvery === 0 || step === cfg.train.steps) {
      const e = evaluatePlaceCells(model, plain, params, heldOut, kernels);
      [lastEval, centre] = [e.errorCm, e.centreCm];
      line.eval_error_cm = e.errorCm;
    }
    log(line);
    if (step % cfg.train.checkpointEvery === 0 || step === cfg.train.steps) {
      saveCheckpoint(opts.out, params, { step, optimizer: optimizer.state(), rng: dataRng.state(), configHash: hash });
    }
    const rate = (step - start) / ((Date.now() - tStart) / 1000);
    opts.onProgress?.({ step, steps: cfg.train.steps, loss: r.loss, rmseCm: NaN, evalErrorCm: lastEval, stepsPerSecond: rate, etaSeconds: (cfg.train.steps - step) / rate });
  }
  if (lastEval === null || Number.isNaN(centre)) {
    const e = evaluatePlaceCells(model, plain, params, heldOut, kernels);
    [lastEval, centre] = [e.errorCm, e.centreCm];
  }
  return { step: end, evalErrorCm: lastEval, centreErrorCm: centre, backend, seconds: (Date.now() - t0) / 1000, params };
}

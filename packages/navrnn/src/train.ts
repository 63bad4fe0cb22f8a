/**
 * Training a CuevaRNN: batches of fresh trajectories each step, Adam (or SGD) with global-norm
 * clipping and a learning-rate schedule, held-out evaluation, `metrics.jsonl`, atomic checkpoints
 * and exact resumption. A NaN or Inf loss or gradient stops the run with a message; the last good
 * checkpoint stays as it was.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Rng, WasmBackend, getBackend, referenceBackend, setBackend, type Backend, type Tensor } from '@gridcells/tensor';
import {
  Adam, HessianFree, SGD, clipGradNorm, flatten, globalNorm, unflatten, valueAndGrad,
  type CurvatureSystem, type HessianFreeState, type HessianFreeStep, type Optimizer, type OptimizerState,
} from '@gridcells/autograd';
import { makeArena, type Arena } from './arena.js';
import { generateTrajectories, INPUT_SIZE, type Trajectories } from './trajectory.js';
import { cuevaGaussNewton, cuevaLossAndGrad, type FusedResult } from './bptt.js';
import { GpuJsCueva, describeWebGpu, probeWebGpuQuietly, releaseWebGpu, type GpuJsMode } from './gpujs.js';
import { PARAM_NAMES, cuevaLoss, drawNoise, initParams, meanError, paramList, paramShapes, rollout, type Batch, type CuevaModelConfig, type CuevaParams } from './model.js';
import { CheckpointError, latestCheckpoint, loadCheckpoint, saveCheckpoint, writeAtomic, type CheckpointState } from './checkpoint.js';
import type { RunConfig } from './config.js';
import type { PlaceCellParams } from './placecell.js';
import { trainPlaceCells } from './train-placecell.js';

export interface Progress {
  step: number;
  steps: number;
  loss: number;
  rmseCm: number;
  evalErrorCm: number | null;
  stepsPerSecond: number;
  etaSeconds: number;
}

export interface TrainOptions {
  out: string;
  resume?: boolean;
  onProgress?: (p: Progress) => void;
  /** Stop (as if killed) after this step; for tests of resumption. */
  stopAfter?: number;
}

export interface TrainResult {
  step: number;
  evalErrorCm: number;
  centreErrorCm: number;
  backend: ResolvedBackend;
  seconds: number;
  params: CuevaParams | PlaceCellParams;
}

/** The run folder cannot be used as asked (it holds another run, say). */
export class RunFolderError extends Error {
  override name = 'RunFolderError';
}

/** The loss or gradient became NaN or Inf. */
export class TrainingError extends Error {
  override name = 'TrainingError';
}

export interface MetricsLine {
  step: number;
  loss?: number;
  mse?: number;
  weight_cost?: number;
  rate_cost?: number;
  /** PlaceCellRNN: the cross-entropy part of the loss. */
  cross_entropy?: number;
  rmse_cm?: number;
  grad_norm?: number;
  lr?: number;
  eval_error_cm?: number;
  centre_error_cm?: number;
  /** Hessian-free only: damping after the step, reduction ratio, CG iterations, line-search rate. */
  hf_damping?: number;
  hf_rho?: number;
  hf_cg_iterations?: number;
  hf_rate?: number;
  time_s: number;
}

/**
 * Opens a run folder. With `resume`: the latest checkpoint, refused if it was written with another
 * config, and the metrics written after it dropped (the resumed run writes them again,
 * identically). Without: a new folder with config.json (refused if it holds a run already).
 */
export function openRun<K extends string>(
  cfg: RunConfig, opts: TrainOptions, backend: ResolvedBackend, shapes: Record<K, number[]>,
): { params: Record<K, Tensor>; state: CheckpointState } | null {
  const hash = configHash(cfg);
  const metricsPath = join(opts.out, 'metrics.jsonl');
  if (opts.resume) {
    const dir = latestCheckpoint(opts.out);
    if (!dir) throw new CheckpointError(`no checkpoint to resume in ${opts.out} (checkpoints/latest is missing)`);
    const ck = loadCheckpoint(dir, shapes);
    if (ck.state.configHash !== hash) {
      throw new CheckpointError(`checkpoint ${dir}: it was written with another config (hash ${ck.state.configHash}, now ${hash}); only train.steps may change on resume`);
    }
    const kept = readMetrics(metricsPath).filter((m) => m.step <= ck.state.step);
    writeAtomic(metricsPath, kept.map((m) => JSON.stringify(m) + '\n').join(''));
    return ck;
  }
  if (existsSync(join(opts.out, 'checkpoints')) || existsSync(metricsPath)) {
    throw new RunFolderError(`${opts.out} already holds a run; use --resume to continue it, or choose another --out`);
  }
  mkdirSync(opts.out, { recursive: true });
  writeAtomic(join(opts.out, 'config.json'), JSON.stringify({ ...cfg, resolved: { backend, configHash: hash, machine: `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`, node: process.version, started: new Date().toISOString() } }, null, 2) + '\n');
  writeFileSync(metricsPath, '');
  return null;
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

export type ResolvedBackend = 'wasm' | 'js' | 'autograd' | 'webgpu' | 'gpujs-webasm' | 'gpujs-cpu';

let wasm: WasmBackend | null | undefined;
function wasmBackend(): WasmBackend | null {
  if (wasm === undefined) wasm = WasmBackend.create();
  return wasm;
}

/**
 * The backend a run uses. 'auto' picks webgpu when a hardware GPU adapter answers (a software
 * adapter such as lavapipe is correct but slower than the CPU paths), else WebAssembly SIMD when
 * this engine has it, else plain TypeScript.
 */
export async function resolveBackend(requested: RunConfig['backend'], network: RunConfig['network'] = 'cueva'): Promise<ResolvedBackend> {
  // the PlaceCellRNN has only the fused TypeScript/WebAssembly BPTT
  if (network === 'placecell' && requested === 'auto') return wasmBackend() ? 'wasm' : 'js';
  if (requested === 'wasm' && !wasmBackend()) throw new RunFolderError('backend wasm: this JavaScript engine has no WebAssembly SIMD; use --backend js');
  if (requested === 'webgpu' && !(await describeWebGpu()).available) {
    throw new RunFolderError('backend webgpu: no WebGPU adapter answered (on a CPU-only Linux machine, install a software Vulkan driver: .ci/enable-webgpu-cpu.sh)');
  }
  if (requested === 'auto') {
    const gpu = await probeWebGpuQuietly();
    if (gpu.available && !gpu.software) return 'webgpu';
    return wasmBackend() ? 'wasm' : 'js';
  }
  return requested;
}

const GPUJS_MODE: Partial<Record<ResolvedBackend, GpuJsMode>> = { webgpu: 'webgpu', 'gpujs-webasm': 'webasm', 'gpujs-cpu': 'cpu' };

/**
 * The loss and gradient of one batch on a resolved backend: the fused BPTT (wasm or js kernels)
 * or the autograd tape.
 */
export async function lossAndGradient(
  backend: ResolvedBackend, model: CuevaModelConfig, params: CuevaParams, data: Batch, gpujs?: GpuJsCueva,
): Promise<{ loss: number; mse: number; weightCost: number; rateCost: number; grads: Tensor[] }> {
  const mode = GPUJS_MODE[backend];
  if (!mode) return lossAndGradientSync(backend as 'wasm' | 'js' | 'autograd', model, params, data);
  const kernels = gpujs ?? new GpuJsCueva(mode, model, { T: data.steps, B: data.batch, N: model.hidden, nIn: model.nInputs });
  try {
    return await kernels.lossAndGrad(params, data);
  } finally {
    if (!gpujs) kernels.destroy();
  }
}

/** The same for the synchronous backends: the fused BPTT (wasm, js) or the autograd tape. */
export function lossAndGradientSync(
  backend: 'wasm' | 'js' | 'autograd', model: CuevaModelConfig, params: CuevaParams, data: Batch,
): { loss: number; mse: number; weightCost: number; rateCost: number; grads: Tensor[] } {
  if (backend === 'autograd') {
    let parts: ReturnType<typeof cuevaLoss> | null = null;
    const { value, grads } = valueAndGrad((wRec, wIn, b, wOut) => {
      parts = cuevaLoss(model, wRec, wIn, b, wOut, data);
      return parts.total;
    }, [0, 1, 2, 3])(params.wRec, params.wIn, params.b, params.wOut);
    const p = parts!;
    return { loss: value, mse: p.mse.item(), weightCost: p.weightCost.item(), rateCost: p.rateCost.item(), grads };
  }
  return cuevaLossAndGrad(model, params, data, kernelsOf(backend));
}

export function modelConfig(cfg: RunConfig): CuevaModelConfig {
  return { ...cfg.model, nInputs: INPUT_SIZE[cfg.encoding] };
}

export function configHash(cfg: RunConfig): string {
  const { train, ...rest } = cfg;
  // the number of steps may grow between runs (train longer); everything else must match
  const { steps: _steps, ...trainRest } = train;
  return createHash('sha256').update(JSON.stringify({ ...rest, train: trainRest })).digest('hex').slice(0, 16);
}

/**
 * A training step's noise from the run's data stream: the gpu.js kernels draw it on the device from
 * one 32-bit seed (counter-noise.ts); the CPU kernels read normals drawn here. The two streams
 * differ, so a run is reproducible for one seed and one backend, as every run is.
 */
export function trainingNoise(onDevice: boolean, rng: Rng, steps: number, batch: number, model: CuevaModelConfig): Batch['noise'] {
  if (model.noiseStd === 0) return null;
  if (onDevice) return { seed: rng.int(2 ** 32), std: model.noiseStd };
  return drawNoise(rng, steps, batch, model.hidden, model.noiseStd);
}

export function toBatch(tr: Trajectories, noise: Batch['noise']): Batch {
  return { steps: tr.steps, batch: tr.batch, inputs: tr.inputs, targets: Float32Array.from(tr.positions.subarray(tr.batch * 2)), noise };
}

export function learningRate(cfg: RunConfig, step: number): number {
  const { lr, steps, schedule } = cfg.train;
  const f = Math.min(1, step / steps);
  if (schedule.kind === 'exponential') return lr * Math.pow(schedule.final, f);
  if (schedule.kind === 'cosine') return lr * (schedule.final + (1 - schedule.final) * 0.5 * (1 + Math.cos(Math.PI * f)));
  return lr;
}

function makeOptimizer(cfg: RunConfig): Optimizer | HessianFree {
  const t = cfg.train;
  if (t.optimizer === 'hf') {
    return new HessianFree({
      damping: t.hf.damping, structuralDamping: t.hf.structuralDamping, maxCgIterations: t.hf.maxCgIterations, preconditioner: t.hf.preconditioner,
    });
  }
  return t.optimizer === 'sgd' ? new SGD({ lr: t.lr, momentum: t.momentum }) : new Adam({ lr: t.lr });
}

/** The first `trials` trials of a batch (time-major, so each step's rows are gathered). */
export function subBatch(data: Batch, trials: number, nInputs: number): Batch {
  const { steps: T, batch: B } = data;
  const take = (src: Float32Array, width: number) => {
    const out = new Float32Array(T * trials * width);
    for (let t = 0; t < T; t++) out.set(src.subarray(t * B * width, (t * B + trials) * width), t * trials * width);
    return out;
  };
  return { steps: T, batch: trials, inputs: take(data.inputs, nInputs), targets: take(data.targets, 2), noise: null };
}

/**
 * The CuevaRNN as a Hessian-free `CurvatureSystem`: loss and gradient on the gradient batch (with
 * its noise), Gauss-Newton products on a noiseless curvature sub-batch, all on the fused kernels.
 * Remembers the loss parts of its last gradient evaluation for the metrics.
 */
export class CuevaCurvatureSystem implements CurvatureSystem {
  last: FusedResult | null = null;
  readonly batchSize: number;
  private readonly shapes: number[][];
  constructor(
    private readonly model: CuevaModelConfig, private readonly data: Batch, private readonly curvature: Batch,
    private readonly kernels: Backend,
  ) {
    const s = paramShapes(model);
    this.shapes = PARAM_NAMES.map((k) => s[k]);
    this.batchSize = data.batch;
  }
  private params(theta: Float64Array): CuevaParams {
    const [wRec, wIn, b, wOut] = unflatten(theta, this.shapes, 'float32');
    return { wRec, wIn, b, wOut };
  }
  loss(theta: Float64Array): number {
    return cuevaLossAndGrad(this.model, this.params(theta), this.data, this.kernels).loss;
  }
  lossAndGradient(theta: Float64Array) {
    this.last = cuevaLossAndGrad(this.model, this.params(theta), this.data, this.kernels);
    return { loss: this.last.loss, gradient: flatten(this.last.grads) };
  }
  curvatureProduct(theta: Float64Array, v: Float64Array, structural: number): Float64Array {
    return flatten(cuevaGaussNewton(this.model, this.params(theta), this.curvature, unflatten(v, this.shapes, 'float32'), structural, this.kernels));
  }
}

/** The generators of a run, all derived from its seed. */
export function runStreams(seed: number) {
  const root = new Rng(seed);
  return { init: root.split(), data: root.split(), evaluation: root.split(), placeCells: root.split() };
}

/** The held-out trials every evaluation of a run uses (regenerated from the seed, never trained on). */
export function heldOut(cfg: RunConfig, arena: Arena): Batch {
  const tr = generateTrajectories(arena, cfg.trajectory, cfg.train.evalBatch, cfg.train.timeSteps, cfg.encoding, runStreams(cfg.seed).evaluation);
  return toBatch(tr, null);
}

/** Mean position error (cm) of the network on a batch, and of always answering the arena's centre. */
export function evaluate(model: CuevaModelConfig, params: CuevaParams, data: Batch): { errorCm: number; centreCm: number } {
  const r = rollout(model, params, data.inputs, data.steps, data.batch);
  return { errorCm: 100 * meanError(r.estimates, data.targets), centreCm: 100 * meanError(new Float32Array(data.targets.length), data.targets) };
}

/** The lines of a metrics.jsonl file (none when it does not exist). */
export function readMetrics(path: string): MetricsLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/**
 * The CPU kernels for running a trained network forward (evaluation, analysis): the run's own
 * choice between the fast and the reference kernels, never a GPU, so a run trained on a GPU machine
 * is evaluated and analysed on any machine.
 */
export function rolloutBackend(requested: RunConfig['backend']): 'wasm' | 'js' {
  return requested === 'js' || requested === 'autograd' || !wasmBackend() ? 'js' : 'wasm';
}

/**
 * The tensor-level kernels that go with a resolved backend (evaluation rollouts, and the fused
 * BPTT of wasm/js): WebAssembly SIMD wherever it exists, unless plain TypeScript was asked for.
 */
export function kernelsOf(backend: ResolvedBackend): Backend {
  return rolloutBackend(backend) === 'js' ? referenceBackend : wasmBackend()!;
}

export async function train(cfg: RunConfig, opts: TrainOptions): Promise<TrainResult> {
  const backend = await resolveBackend(cfg.backend, cfg.network);
  const previous = getBackend();
  setBackend(kernelsOf(backend));
  if (cfg.network === 'placecell') {
    try {
      return await trainPlaceCells(backend, cfg, opts);
    } finally {
      setBackend(previous);
    }
  }
  const mode = GPUJS_MODE[backend];
  const gpujs = mode ? new GpuJsCueva(mode, modelConfig(cfg), { T: cfg.train.timeSteps, B: cfg.train.batch, N: cfg.model.hidden, nIn: INPUT_SIZE[cfg.encoding] }) : undefined;
  try {
    return await trainOn(backend, cfg, opts, gpujs);
  } finally {
    setBackend(previous);
    gpujs?.destroy();
    if (backend === 'webgpu') await releaseWebGpu();
  }
}

async function trainOn(backend: ResolvedBackend, cfg: RunConfig, opts: TrainOptions, gpujs?: GpuJsCueva): Promise<TrainResult> {
  const t0 = Date.now();
  const arena = makeArena(cfg.arena);
  const model = modelConfig(cfg);
  const shapes = paramShapes(model);
  const hash = configHash(cfg);
  const metricsPath = join(opts.out, 'metrics.jsonl');
  const streams = runStreams(cfg.seed);
  let params = initParams(model, streams.init);
  let dataRng = streams.data;
  const optimizer = makeOptimizer(cfg);
  let start = 0;

  const resumed = openRun(cfg, opts, backend, shapes);
  if (resumed) {
    params = resumed.params;
    if (optimizer instanceof HessianFree) optimizer.loadState(resumed.state.optimizer as HessianFreeState);
    else optimizer.loadState(resumed.state.optimizer as OptimizerState);
    dataRng = Rng.fromState(resumed.state.rng);
    start = resumed.state.step;
  }

  const evalBatch = heldOut(cfg, arena);
  const log = (m: MetricsLine) => appendFileSync(metricsPath, JSON.stringify(m) + '\n');
  let lastEval: number | null = null;
  let centre = NaN;
  if (start === 0) {
    const e = evaluate(model, params, evalBatch);
    [lastEval, centre] = [e.errorCm, e.centreCm];
    log({ step: 0, eval_error_cm: e.errorCm, centre_error_cm: e.centreCm, time_s: (Date.now() - t0) / 1000 });
  }
  const list = paramList(params);
  const end = Math.min(cfg.train.steps, opts.stopAfter ?? Infinity);
  const tStart = Date.now();
  // A step's batch, and the data stream's state right after drawing it: what a checkpoint of that
  // step keeps, so a resumed run draws the next batch again even when it was drawn ahead.
  const draw = () => {
    const tr = generateTrajectories(arena, cfg.trajectory, cfg.train.batch, cfg.train.timeSteps, cfg.encoding, dataRng);
    const batch = toBatch(tr, trainingNoise(gpujs !== undefined, dataRng, cfg.train.timeSteps, cfg.train.batch, model));
    return { batch, rngAfter: dataRng.state() };
  };
  let ahead: ReturnType<typeof draw> | null = null;
  for (let step = start + 1; step <= end; step++) {
    const { batch, rngAfter } = ahead ?? draw();
    ahead = null;
    let value: number, mse: number, weightCost: number, rateCost: number, norm: number;
    let hfInfo: HessianFreeStep | null = null;
    if (optimizer instanceof HessianFree) {
      if (backend !== 'wasm' && backend !== 'js') throw new RunFolderError(`optimizer hf runs on the fused TypeScript/WebAssembly kernels: use backend wasm or js, not ${backend}`);
      const curvTrials = Math.max(1, Math.round(cfg.train.hf.curvatureFraction * cfg.train.batch));
      const system = new CuevaCurvatureSystem(model, batch, subBatch(batch, curvTrials, model.nInputs), kernelsOf(backend));
      const r = optimizer.step(system, flatten(list));
      const last = system.last!;
      [value, mse, weightCost, rateCost, norm] = [last.loss, last.mse, last.weightCost, last.rateCost, globalNorm(last.grads)];
      checkFinite(step, value, norm, opts.out);
      hfInfo = r.info;
      unflatten(r.theta, list.map((t) => t.shape), 'float32').forEach((t, i) => list[i].data.set(t.data));
    } else {
      const pending = lossAndGradient(backend, model, params, batch, gpujs);
      // a failure while the next batch is drawn is handled at the await below, not as unhandled
      pending.catch(() => undefined);
      if (gpujs && step < end) {
        // while the device computes this step, draw the next step's batch on the CPU (at batch
        // 500 x 500 drawing the trajectories takes about as long as the step on an H100); first
        // let gpu.js encode and submit the step, which it does in queued microtasks
        await new Promise((resolve) => setImmediate(resolve));
        ahead = draw();
      }
      const r = await pending;
      [value, mse, weightCost, rateCost, norm] = [r.loss, r.mse, r.weightCost, r.rateCost, globalNorm(r.grads)];
      checkFinite(step, value, norm, opts.out);
      optimizer.lr = learningRate(cfg, step - 1);
      optimizer.step(list, cfg.train.clip ? clipGradNorm(r.grads, cfg.train.clip).grads : r.grads);
    }
    const line: MetricsLine = {
      step, loss: value, mse, weight_cost: weightCost, rate_cost: rateCost,
      rmse_cm: 100 * Math.sqrt(2 * mse), grad_norm: norm, time_s: (Date.now() - t0) / 1000,
      ...(hfInfo
        ? { hf_damping: hfInfo.damping, hf_rho: hfInfo.rho, hf_cg_iterations: hfInfo.cgIterations, hf_rate: hfInfo.rate }
        : { lr: (optimizer as Optimizer).lr }),
    };
    if (step % cfg.train.evalEvery === 0 || step === cfg.train.steps) {
      const e = evaluate(model, params, evalBatch);
      [lastEval, centre] = [e.errorCm, e.centreCm];
      line.eval_error_cm = e.errorCm;
    }
    log(line);
    if (step % cfg.train.checkpointEvery === 0 || step === cfg.train.steps) {
      saveCheckpoint(opts.out, params, { step, optimizer: optimizer.state(), rng: rngAfter, configHash: hash });
    }
    const rate = (step - start) / ((Date.now() - tStart) / 1000);
    opts.onProgress?.({ step, steps: cfg.train.steps, loss: value, rmseCm: line.rmse_cm!, evalErrorCm: lastEval, stepsPerSecond: rate, etaSeconds: (cfg.train.steps - step) / rate });
  }
  if (lastEval === null || Number.isNaN(centre)) {
    const e = evaluate(model, params, evalBatch);
    [lastEval, centre] = [e.errorCm, e.centreCm];
  }
  return { step: end, evalErrorCm: lastEval, centreErrorCm: centre, backend, seconds: (Date.now() - t0) / 1000, params };
}

/**
 * The one place where a run's config becomes a network: which networks exist, what each can run
 * on, and how each is built from the config's fields.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '@gridcells/gridscore';
import { ConfigError, runStreams, type RunConfig } from '../config.js';
import { GPUJS_MODE, resolveBackend, tensorKernels, type ResolvedBackend } from '../backends/resolve.js';
import { makeArena } from '../world/arena.js';
import { INPUT_SIZE } from '../world/trajectory.js';
import type { Network } from './network.js';
import { CuevaNetwork, cuevaModel } from './cueva/network.js';
import { PLACE_CELLS_FILE, PlaceCellNetwork } from './placecell/network.js';
import { PlaceCells, type PlaceCellConfig } from './placecell/model.js';

/** What each network can run on. */
const SUPPORT: Record<RunConfig['network'], { backends: ResolvedBackend[]; hessianFree: boolean }> = {
  cueva: { backends: ['wasm', 'js', 'autograd', 'webgpu', 'gpujs-webasm', 'gpujs-cpu'], hessianFree: true },
  placecell: { backends: ['wasm', 'js'], hessianFree: false },
};

/** The run's backend with 'auto' resolved, among those its network has kernels for. */
export function resolveRunBackend(cfg: RunConfig): Promise<ResolvedBackend> {
  return resolveBackend(cfg.backend, { gpuKernels: SUPPORT[cfg.network].backends.includes('webgpu') });
}

/**
 * Refuses a config whose network cannot train on its backend or optimizer, before anything is
 * written: the message names the field to change.
 */
export function checkTrainable(cfg: RunConfig, backend: ResolvedBackend): void {
  const s = SUPPORT[cfg.network];
  if (!s.backends.includes(backend)) {
    throw new ConfigError(`network ${cfg.network} runs on the fused TypeScript/WebAssembly kernels: use backend ${s.backends.join(' or ')}, not ${backend}`);
  }
  if (cfg.train.optimizer === 'hf' && !s.hessianFree) throw new ConfigError(`network ${cfg.network}: optimizer hf is for the CuevaRNN; use adam or sgd`);
  if (cfg.network === 'placecell' && cfg.model.activation !== 'tanh') {
    throw new ConfigError(`model.activation is the CuevaRNN's rate function; the PlaceCellRNN's units are ReLU (got ${cfg.model.activation})`);
  }
  if (cfg.network === 'cueva' && cfg.model.activation !== 'tanh' && GPUJS_MODE[backend]) {
    throw new ConfigError(`model.activation ${cfg.model.activation} runs on the fused kernels (wasm, js) and autograd; the ${backend} kernels compute tanh units only`);
  }
  if (cfg.network === 'cueva' && startsAnywhere(cfg) && GPUJS_MODE[backend]) {
    throw new ConfigError(`trajectory.start uniform runs on the fused kernels (wasm, js) and autograd; the ${backend} kernels start every trial at the centre`);
  }
  if (cfg.train.optimizer === 'hf' && backend !== 'wasm' && backend !== 'js') {
    throw new ConfigError(`optimizer hf runs on the fused TypeScript/WebAssembly kernels: use backend wasm or js, not ${backend}`);
  }
}

/** Cueva trajectories that start anywhere: the CuevaRNN is then given its start (a start encoder). */
function startsAnywhere(cfg: RunConfig): boolean {
  return cfg.trajectory.kind === 'cueva' && cfg.trajectory.start === 'uniform';
}

/** The PlaceCellRNN's sizes and loss settings from a run config. */
export function placeCellConfig(cfg: RunConfig): PlaceCellConfig {
  const pc = cfg.placeCells;
  return { hidden: cfg.model.hidden, places: pc.count, nInputs: INPUT_SIZE[cfg.encoding], sigma: pc.sigma, surround: pc.surround, weightDecay: pc.weightDecay };
}

/**
 * A run's place cells with the config's code: the centres saved in its folder
 * (RUN/place_cells.npy, written when the run started) where `runDir` has them, else drawn from
 * its seed.
 */
export function placeCellsOf(cfg: RunConfig, runDir?: string): PlaceCells {
  const pc = cfg.placeCells;
  const file = runDir === undefined ? undefined : join(runDir, `${PLACE_CELLS_FILE}.npy`);
  if (file && existsSync(file)) {
    const arr = parseNpy(readFileSync(file), file);
    if (arr.shape.join(',') !== `${pc.count},2` || !Array.from(arr.data).every(Number.isFinite)) {
      throw new ConfigError(`${file}: expected the centres of placeCells.count = ${pc.count} cells, finite, of shape (${pc.count}, 2); got shape (${arr.shape.join(', ')})`);
    }
    return new PlaceCells(pc.count, pc.sigma, pc.surround, Float64Array.from(arr.data));
  }
  return PlaceCells.inArena(makeArena(cfg.arena), pc.count, pc.sigma, pc.surround, runStreams(cfg.seed).placeCells);
}

/**
 * The run's network on a resolved backend. For training, `checkTrainable` first; for evaluation
 * and analysis, a CPU backend (backends/resolve.ts: cpuBackend). `runDir`: a run folder whose
 * saved place cells the network uses (see placeCellsOf).
 *
 * @example
 * const cfg = presetConfig('quick');
 * const net = networkFor(cfg, 'wasm');
 * const w = net.init(runStreams(cfg.seed).init);
 */
export function networkFor(cfg: RunConfig, backend: ResolvedBackend, runDir?: string): Network {
  if (cfg.network === 'placecell') return new PlaceCellNetwork(placeCellConfig(cfg), placeCellsOf(cfg, runDir), tensorKernels(backend));
  const model = cuevaModel({ ...cfg.model, startEncoder: startsAnywhere(cfg) }, cfg.encoding);
  const mode = GPUJS_MODE[backend];
  const cpu = tensorKernels(backend);
  if (mode) return new CuevaNetwork(model, { kind: 'gpujs', mode, steps: cfg.train.timeSteps, batch: cfg.train.batch }, cpu);
  if (backend === 'autograd') return new CuevaNetwork(model, { kind: 'autograd' }, cpu);
  return new CuevaNetwork(model, { kind: 'fused', kernels: cpu });
}

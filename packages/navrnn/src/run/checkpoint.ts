/**
 * Checkpoints: the weights as .npy (open them with numpy.load), and the optimizer's and the data
 * generator's state, so a resumed run continues exactly: state.json, with the optimizer's arrays
 * (Adam's moments, SGD's velocity, Hessian-free's last direction) beside it as float64 .npy, which
 * state.json names (one per weight, in the network's weight order): as JSON they would be a
 * string longer than JavaScript allows for networks of some 13 million weights and more.
 *
 *   RUN/checkpoints/step-00000100/{W_rec,W_in,b,W_out}.npy, state.json   (CuevaRNN)
 *   RUN/checkpoints/step-00000100/{W_enc,W_rec,W_in,W_out}.npy, state.json  (PlaceCellRNN)
 *   RUN/checkpoints/step-00000100/optimizer/{m-0,m-1,...,v-0,...}.npy      (Adam's moments)
 *   RUN/checkpoints/latest            the name of the newest complete checkpoint
 *
 * A state.json that holds the arrays inline (checkpoints written before) loads as well.
 *
 * Step 0 (the untrained network) is written when a run starts: the null every analysis reads its
 * counts against.
 *
 * A checkpoint is written into a temporary folder and renamed into place, and `latest` is
 * replaced by rename too: a run killed at any moment leaves the previous checkpoint intact.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, type RngState } from '@gridcells/tensor';
import type { HessianFreeState, OptimizerState } from '@gridcells/autograd';
import { encodeNpy, parseNpy } from '@gridcells/gridscore';
import { writeAtomic, writing } from './files.js';

/** File names as a numpy user would expect them (a parameter not listed is saved as NAME.npy). */
export const PARAM_FILES: Record<string, string> = { wRec: 'W_rec.npy', wIn: 'W_in.npy', b: 'b.npy', wOut: 'W_out.npy', wEnc: 'W_enc.npy' };
const fileOf = (name: string) => PARAM_FILES[name] ?? `${name}.npy`;

/** A network's weights by name (CuevaParams, PlaceCellParams). */
export type NamedParams = { [name: string]: Tensor };

/** What a checkpoint keeps besides the weights. */
export interface CheckpointState {
  step: number;
  optimizer: OptimizerState | HessianFreeState;
  rng: RngState;
  /** Hash of the config the run was started with: a resume with another config is refused. */
  configHash: string;
}

/** A checkpoint is missing, incomplete, unreadable or of the wrong shape. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A checkpoint's folder name: step-00000100 for step 100. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Writes the weights and state of one step into RUN/checkpoints/step-N atomically, and points `latest` at it. */
export function saveCheckpoint(runDir: string, params: object, state: CheckpointState): string {
  const root = join(runDir, 'checkpoints');
  const name = checkpointName(state.step);
  const tmp = join(root, `.${name}.tmp-${process.pid}`);
  const final = join(root, name);
  writing(final, () => {
    try {
      mkdirSync(root, { recursive: true });
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp);
      for (const [k, t] of Object.entries(params as NamedParams)) {
        writeFileSync(join(tmp, fileOf(k)), encodeNpy(Float32Array.from(t.data), t.shape));
      }
      const { json, arrays } = stateArraysApart(state);
      if (arrays.length) mkdirSync(join(tmp, OPTIMIZER_DIR));
      for (const [file, a] of arrays) writeFileSync(join(tmp, file), encodeNpy(Float64Array.from(a), [a.length]));
      writeFileSync(join(tmp, 'state.json'), JSON.stringify(json));
      rmSync(final, { recursive: true, force: true });
      renameSync(tmp, final);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  });
  writeAtomic(join(root, 'latest'), name + '\n');
  return final;
}

/** The folder, inside a checkpoint's, of the optimizer's arrays. */
const OPTIMIZER_DIR = 'optimizer';

/**
 * The state with the optimizer's arrays replaced by the names of the files they go to, and those
 * arrays: [file, values].
 */
function stateArraysApart(state: CheckpointState): { json: CheckpointState; arrays: [string, number[]][] } {
  const arrays: [string, number[]][] = [];
  const file = (name: string, values: number[]) => {
    const f = `${OPTIMIZER_DIR}/${name}.npy`;
    arrays.push([f, values]);
    return f;
  };
  const opt = state.optimizer;
  if ('slots' in opt) {
    const slots = Object.fromEntries(Object.entries(opt.slots).map(([name, list]) => [name, list.map((a, i) => file(`${name}-${i}`, a))]));
    return { json: { ...state, optimizer: { ...opt, slots } as unknown as OptimizerState }, arrays };
  }
  const previous = opt.previous.length ? file('previous', opt.previous) : [];
  return { json: { ...state, optimizer: { ...opt, previous } as unknown as HessianFreeState }, arrays };
}

/** A state.json's optimizer with the arrays it names read back from `dir` (arrays given inline are kept). */
function stateArraysIn(raw: unknown, dir: string, stateFile: string): unknown {
  const opt = (raw as { optimizer?: Record<string, unknown> } | null)?.optimizer;
  if (typeof opt !== 'object' || opt === null) return raw;
  const read = (f: unknown): unknown => {
    if (typeof f !== 'string') return f;
    if (!/^optimizer\/[\w-]+\.npy$/.test(f)) throw new CheckpointError(`checkpoint ${stateFile}: optimizer array ${JSON.stringify(f)} is not a file of its optimizer folder`);
    const path = join(dir, f);
    if (!existsSync(path)) throw new CheckpointError(`checkpoint ${path}: missing (state.json names it)`);
    try {
      const arr = parseNpy(readFileSync(path), path);
      if (arr.shape.length !== 1) throw new CheckpointError(`checkpoint ${path}: shape (${arr.shape.join(', ')}) is not one-dimensional`);
      return Array.from(arr.data);
    } catch (e) {
      throw e instanceof CheckpointError ? e : new CheckpointError(`checkpoint ${(e as Error).message}`);
    }
  };
  const out: Record<string, unknown> = { ...opt };
  if (typeof opt.slots === 'object' && opt.slots !== null) {
    out.slots = Object.fromEntries(Object.entries(opt.slots).map(([name, list]) => [name, Array.isArray(list) ? list.map(read) : list]));
  }
  if ('previous' in opt) out.previous = read(opt.previous);
  return { ...(raw as object), optimizer: out };
}

/** Writes arrays (float64) as RUN/NAME.npy, each atomically: a network's fixed arrays (Network.fixedArrays). */
export function saveArrays(runDir: string, arrays: Record<string, { data: Float64Array; shape: number[] }>): void {
  for (const [name, a] of Object.entries(arrays)) writeAtomic(join(runDir, `${name}.npy`), encodeNpy(a.data, a.shape));
}

/** Every complete checkpoint of a run, oldest first: [step, folder]. */
export function listCheckpoints(runDir: string): [number, string][] {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => /^step-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [Number(m[1]), join(root, m[0])] as [number, string])
    .sort((a, b) => a[0] - b[0]);
}

/** The folder of the newest checkpoint, or null when the run has none. */
export function latestCheckpoint(runDir: string): string | null {
  const pointer = join(runDir, 'checkpoints', 'latest');
  if (!existsSync(pointer)) return null;
  const name = readFileSync(pointer, 'utf8').trim();
  return join(runDir, 'checkpoints', name);
}

/**
 * Loads and checks a checkpoint's weights: every weight file present, parsable, float, finite and
 * of the expected shape.
 */
export function loadWeights<K extends string>(dir: string, shapes: Record<K, number[]>): Record<K, Tensor> {
  if (!existsSync(dir)) throw new CheckpointError(`checkpoint ${dir}: missing`);
  const params: NamedParams = {};
  for (const k of Object.keys(shapes) as K[]) {
    const file = join(dir, fileOf(k));
    if (!existsSync(file)) throw new CheckpointError(`checkpoint ${dir}: ${fileOf(k)} is missing`);
    let arr;
    try {
      arr = parseNpy(readFileSync(file), file);
    } catch (e) {
      throw new CheckpointError(`checkpoint ${(e as Error).message}`);
    }
    if (!/^[<>=|]f[48]$/.test(arr.descr)) throw new CheckpointError(`checkpoint ${file}: weights are stored as ${arr.descr}; expected float32`);
    const want = shapes[k];
    if (arr.shape.join(',') !== want.join(',')) {
      throw new CheckpointError(`checkpoint ${file}: shape (${arr.shape.join(', ')}) does not match the config's (${want.join(', ')})`);
    }
    if (!Array.from(arr.data).every(Number.isFinite)) throw new CheckpointError(`checkpoint ${file}: holds NaN or Inf`);
    params[k] = Tensor.fromData(Float32Array.from(arr.data), want);
  }
  return params as Record<K, Tensor>;
}

/** A checkpoint's step, from its folder's name (step-00000100: 100). */
export function checkpointStep(dir: string): number | undefined {
  const step = /step-(\d+)$/.exec(dir)?.[1];
  return step === undefined ? undefined : Number(step);
}

/**
 * Loads and checks a checkpoint: its weights (loadWeights), and its state complete and consistent
 * (checkState). `optimizer`: the config's, whose state the checkpoint must hold (unchecked when not
 * given).
 */
export function loadCheckpoint<K extends string>(
  dir: string, shapes: Record<K, number[]>, optimizer?: 'adam' | 'sgd' | 'hf',
): { params: Record<K, Tensor>; state: CheckpointState } {
  const params = loadWeights(dir, shapes);
  const stateFile = join(dir, 'state.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    throw new CheckpointError(`checkpoint ${stateFile}: ${existsSync(stateFile) ? 'not valid JSON' : 'missing'}`);
  }
  const sizes = Object.values<number[]>(shapes).map((s) => s.reduce((a, b) => a * b, 1));
  const state = checkState(stateArraysIn(raw, dir, stateFile), stateFile, { step: checkpointStep(dir), sizes, optimizer });
  return { params, state };
}

const OPTIMIZER_KIND = { adam: 'adam', sgd: 'sgd', hf: 'hessian-free' } as const;
const SLOTS: Record<string, string[]> = { adam: ['m', 'v'], sgd: ['velocity'] };

/**
 * A checkpoint's state.json checked field by field: the step (that of its folder), the config
 * hash, the data generator's state, and the optimizer's state (its kind the config's, its slots
 * one array per weight of the weight's size). Every failure names the file and the field.
 */
export function checkState(raw: unknown, file: string, expect: { step?: number; sizes: number[]; optimizer?: 'adam' | 'sgd' | 'hf' }): CheckpointState {
  const fail = (what: string): never => {
    throw new CheckpointError(`checkpoint ${file}: ${what}`);
  };
  const isInt = (v: unknown): v is number => Number.isInteger(v);
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(raw)) fail(`not an object (got ${JSON.stringify(raw)})`);
  const s = raw as Record<string, unknown>;
  if (expect.step !== undefined && s.step !== expect.step) fail(`step ${JSON.stringify(s.step)} does not match the checkpoint's folder (step ${expect.step})`);
  if (!isInt(s.step) || s.step < 0) fail(`step ${JSON.stringify(s.step)} is not an integer >= 0`);
  if (typeof s.configHash !== 'string') fail('configHash is missing');
  const rng = s.rng as Record<string, unknown>;
  if (!isObj(rng) || !Array.isArray(rng.gen) || rng.gen.length !== 4 || !rng.gen.every((g) => isInt(g) && Math.abs(g as number) < 2 ** 32)
    || !(rng.spare === null || typeof rng.spare === 'number')) {
    fail('rng is not a generator state (gen: four 32-bit integers, spare: a number or null)');
  }
  const opt = s.optimizer as Record<string, unknown>;
  if (!isObj(opt) || typeof opt.kind !== 'string' || !isInt(opt.step) || opt.step < 0) fail('optimizer is not an optimizer state (kind, step)');
  if (expect.optimizer) {
    const kind = OPTIMIZER_KIND[expect.optimizer];
    if (opt.kind !== kind) fail(`optimizer state is for ${opt.kind}, the config trains with ${expect.optimizer}`);
  }
  if (opt.kind === 'hessian-free') {
    const total = expect.sizes.reduce((a, b) => a + b, 0);
    if (!(typeof opt.damping === 'number' && opt.damping > 0 && Number.isFinite(opt.damping))) fail('optimizer damping is not a positive number');
    if (!Array.isArray(opt.previous) || (opt.previous.length !== 0 && opt.previous.length !== total)) fail(`optimizer previous holds ${Array.isArray(opt.previous) ? opt.previous.length : 'no'} values, not 0 or ${total}`);
  } else {
    const slots = opt.slots as Record<string, unknown>;
    for (const name of SLOTS[opt.kind as string] ?? []) {
      const slot = isObj(slots) ? slots[name] : undefined;
      // before the first update a slot is empty; after it, one array per weight of its size
      const ok = Array.isArray(slot) && (slot.length === 0 || (slot.length === expect.sizes.length
        && slot.every((a, i) => Array.isArray(a) && a.length === expect.sizes[i] && a.every(Number.isFinite))));
      if (!ok) fail(`optimizer slot ${name} does not hold one finite array per weight of sizes ${expect.sizes.join(', ')}`);
    }
  }
  return s as unknown as CheckpointState;
}

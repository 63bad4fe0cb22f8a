/**
 * Checkpoints: the weights as .npy (open them with numpy.load), and the optimizer's and the data
 * generator's state as JSON, so a resumed run continues exactly.
 *
 *   RUN/checkpoints/step-00000100/{W_rec,W_in,b,W_out}.npy, state.json   (CuevaRNN)
 *   RUN/checkpoints/step-00000100/{W_enc,W_rec,W_in,W_out}.npy, state.json  (PlaceCellRNN)
 *   RUN/checkpoints/latest            the name of the newest complete checkpoint
 *
 * A checkpoint is written into a temporary folder and renamed into place, and `latest` is
 * replaced by rename too: a run killed at any moment leaves the previous checkpoint intact.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, type RngState } from '@gridcells/tensor';
import type { HessianFreeState, OptimizerState } from '@gridcells/autograd';
import { encodeNpy, parseNpy } from '@gridcells/gridscore';
import { writeAtomic } from './files.js';

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
  mkdirSync(root, { recursive: true });
  const name = checkpointName(state.step);
  const tmp = join(root, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  for (const [k, t] of Object.entries(params as NamedParams)) {
    writeFileSync(join(tmp, fileOf(k)), encodeNpy(Float32Array.from(t.data), t.shape));
  }
  writeFileSync(join(tmp, 'state.json'), JSON.stringify(state));
  const final = join(root, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  writeAtomic(join(root, 'latest'), name + '\n');
  return final;
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

/** Loads and checks a checkpoint: every file present, parsable, and of the expected shape. */
export function loadCheckpoint<K extends string>(dir: string, shapes: Record<K, number[]>): { params: Record<K, Tensor>; state: CheckpointState } {
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
    const want = shapes[k];
    if (arr.shape.join(',') !== want.join(',')) {
      throw new CheckpointError(`checkpoint ${file}: shape (${arr.shape.join(', ')}) does not match the config's (${want.join(', ')})`);
    }
    if (!Array.from(arr.data).every(Number.isFinite)) throw new CheckpointError(`checkpoint ${file}: holds NaN or Inf`);
    params[k] = Tensor.fromData(Float32Array.from(arr.data), want);
  }
  let state: CheckpointState;
  const stateFile = join(dir, 'state.json');
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`checkpoint ${stateFile}: ${existsSync(stateFile) ? 'not valid JSON' : 'missing'}`);
  }
  if (!Number.isInteger(state.step) || !state.optimizer || !state.rng || typeof state.configHash !== 'string') {
    throw new CheckpointError(`checkpoint ${stateFile}: incomplete (needs step, optimizer, rng, configHash)`);
  }
  return { params: params as Record<K, Tensor>, state };
}

/**
 * The run folder: config.json (the config and how it resolved), metrics.jsonl (one line a step),
 * checkpoints/ (checkpoint.ts). Opening one for a new run or for resuming, and reading its metrics.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@gridcells/tensor';
import type { RunConfig } from '../config.js';
import type { ResolvedBackend } from '../backends/resolve.js';
import { CheckpointError, latestCheckpoint, loadCheckpoint, type CheckpointState } from './checkpoint.js';
import { writeAtomic } from './files.js';

/** The run folder cannot be used as asked (it holds another run, say). */
export class RunFolderError extends Error {
  override name = 'RunFolderError';
}

/** One line of metrics.jsonl: a training step (or step 0, the untrained network's evaluation). */
export interface MetricsLine {
  step: number;
  loss?: number;
  /** CuevaRNN: the loss's parts (mean squared error, weight and metabolic costs) and the RMS distance. */
  mse?: number;
  weight_cost?: number;
  rate_cost?: number;
  rmse_cm?: number;
  /** PlaceCellRNN: the cross-entropy part of the loss. */
  cross_entropy?: number;
  grad_norm?: number;
  /** First-order optimizers: the learning rate of the step. */
  lr?: number;
  /** Held-out position error (cm), at evaluation steps; the centre's error at step 0. */
  eval_error_cm?: number;
  centre_error_cm?: number;
  /** Hessian-free only: damping after the step, reduction ratio, CG iterations, line-search rate. */
  hf_damping?: number;
  hf_rho?: number;
  hf_cg_iterations?: number;
  hf_rate?: number;
  /** Seconds since the process started training. */
  time_s: number;
}

/** Hash of everything in a config that a resumed run must share with its start (all but train.steps). */
export function configHash(cfg: RunConfig): string {
  const { train, ...rest } = cfg;
  // the number of steps may grow between runs (train longer); everything else must match
  const { steps: _steps, ...trainRest } = train;
  return createHash('sha256').update(JSON.stringify({ ...rest, train: trainRest })).digest('hex').slice(0, 16);
}

/** The lines of a metrics.jsonl file (none when it does not exist). */
export function readMetrics(path: string): MetricsLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** Appends one line to a run's metrics.jsonl. */
export function appendMetrics(runDir: string, line: MetricsLine): void {
  appendFileSync(join(runDir, 'metrics.jsonl'), JSON.stringify(line) + '\n');
}

/**
 * Opens a run folder. With `resume`: the latest checkpoint, refused if it was written with another
 * config, and the metrics written after it dropped (the resumed run writes them again,
 * identically). Without: a new folder with config.json (refused if it holds a run already).
 */
export function openRun(
  cfg: RunConfig, out: string, resume: boolean, backend: ResolvedBackend, shapes: Record<string, number[]>,
): { params: Record<string, Tensor>; state: CheckpointState } | null {
  const hash = configHash(cfg);
  const metricsPath = join(out, 'metrics.jsonl');
  if (resume) {
    const dir = latestCheckpoint(out);
    if (!dir) throw new CheckpointError(`no checkpoint to resume in ${out} (checkpoints/latest is missing)`);
    const ck = loadCheckpoint(dir, shapes);
    if (ck.state.configHash !== hash) {
      throw new CheckpointError(`checkpoint ${dir}: it was written with another config (hash ${ck.state.configHash}, now ${hash}); only train.steps may change on resume`);
    }
    const kept = readMetrics(metricsPath).filter((m) => m.step <= ck.state.step);
    writeAtomic(metricsPath, kept.map((m) => JSON.stringify(m) + '\n').join(''));
    return ck;
  }
  if (existsSync(join(out, 'checkpoints')) || existsSync(metricsPath)) {
    throw new RunFolderError(`${out} already holds a run; use --resume to continue it, or choose another --out`);
  }
  mkdirSync(out, { recursive: true });
  writeAtomic(join(out, 'config.json'), JSON.stringify({ ...cfg, resolved: { backend, configHash: hash, machine: `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`, node: process.version, started: new Date().toISOString() } }, null, 2) + '\n');
  writeFileSync(metricsPath, '');
  return null;
}

/**
 * The run folder: config.json (the config and how it resolved), metrics.jsonl (one line a step),
 * checkpoints/ (checkpoint.ts). Opening one for a new run or for resuming, and reading its metrics.
 */
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@gridcells/tensor';
import type { RunConfig } from '../config.js';
import type { ResolvedBackend } from '../backends/resolve.js';
import { CheckpointError, latestCheckpoint, loadCheckpoint, type CheckpointState } from './checkpoint.js';
import { writeAtomic, writing } from './files.js';

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

/**
 * Hash of everything in a config that a resumed run must share with its start: all but
 * train.steps (a run may be trained longer) and train.threads (the numbers do not depend on it).
 */
export function configHash(cfg: RunConfig): string {
  const { train, ...rest } = cfg;
  const { steps: _steps, threads: _threads, ...trainRest } = train;
  // the paper's tanh and centre start, the defaults, leave the hash of runs started before there was a choice as it was
  const { activation, ...model } = cfg.model;
  const { start, ...trajectory } = cfg.trajectory as RunConfig['trajectory'] & { start?: string };
  return createHash('sha256').update(JSON.stringify({
    ...rest,
    trajectory: start === 'uniform' ? cfg.trajectory : trajectory,
    model: activation === 'tanh' ? model : cfg.model,
    train: trainRest,
  })).digest('hex').slice(0, 16);
}

/**
 * The lines of a metrics.jsonl file (none when it does not exist). A last line cut off by a crash
 * or a full disk (no newline, not valid JSON) is dropped and reported through `onTorn`; any other
 * broken line is a RunFolderError naming the file and line.
 */
export function readMetrics(path: string, onTorn: (message: string) => void = () => undefined): MetricsLine[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const out: MetricsLine[] = [];
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    try {
      out.push(JSON.parse(l));
    } catch {
      const last = i === lines.length - 1 && !text.endsWith('\n');
      if (!last) throw new RunFolderError(`${path}:${i + 1}: not valid JSON (${JSON.stringify(l.slice(0, 40))})`);
      onTorn(`${path}: dropped a torn last line (${JSON.stringify(l.slice(0, 40))}), written when the run stopped`);
    }
  });
  return out;
}

/** Appends one line to a run's metrics.jsonl. */
export function appendMetrics(runDir: string, line: MetricsLine): void {
  const path = join(runDir, 'metrics.jsonl');
  writing(path, () => appendFileSync(path, JSON.stringify(line) + '\n'));
}

/** What training writes into a run folder (and `--force` may remove). */
const RUN_FILES = ['config.json', 'metrics.jsonl', 'checkpoints', 'place_cells.npy'];

/**
 * What a folder holds: nothing (or does not exist), a gridcells run (a config.json written by
 * training, metrics or checkpoints), or something else, which the tool never writes into.
 */
export function folderKind(dir: string): 'empty' | 'run' | 'foreign' {
  if (!existsSync(dir)) return 'empty';
  if (!statSync(dir).isDirectory()) return 'foreign';
  // the lock, and temp files a killed write left behind, are the tool's own
  const entries = readdirSync(dir).filter((e) => !e.startsWith('.lock') && !/\.tmp-\d+$/.test(e));
  if (entries.length === 0) return 'empty';
  if (existsSync(join(dir, 'metrics.jsonl')) || existsSync(join(dir, 'checkpoints'))) return 'run';
  try {
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    if (cfg && typeof cfg === 'object' && typeof cfg.resolved?.configHash === 'string') return 'run';
  } catch {
    // not ours
  }
  return 'foreign';
}

/** How a run folder is opened: a new run, the continuation of one, or a new run over an old one. */
export type OpenMode = 'new' | 'resume' | 'force';

/**
 * Refuses a folder the mode cannot use, before anything is written: a folder that holds something
 * other than a run, or (for a new run) one that holds a run. Resuming an empty or missing folder
 * starts the run (a job that was killed before it wrote anything, or requeued, runs the same
 * command again).
 */
export function checkRunFolder(out: string, mode: OpenMode): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new RunFolderError(`${out} is a file, not a folder`);
  const kind = folderKind(out);
  if (kind === 'foreign') {
    throw new RunFolderError(`${out} is not empty and holds no gridcells run; choose an empty or new folder (nothing in it was touched)`);
  }
  if (kind === 'run' && mode === 'new') {
    throw new RunFolderError(`${out} already holds a run: --resume continues it (or starts it over when it has no checkpoint yet), --force discards it`);
  }
}

/**
 * Opens a run folder, under its lock (run/lock.ts), after `checkRunFolder`. With 'resume': the
 * latest checkpoint, refused if it was written with another config or is past train.steps, and the
 * metrics written after it dropped (the resumed run writes them again, identically); a run with
 * no completed checkpoint starts over from step 0 (reported through `notify`). With 'force': the
 * folder's run is discarded first. Otherwise a new run: config.json and an empty metrics.jsonl.
 */
export function openRun(
  cfg: RunConfig, out: string, mode: OpenMode, backend: ResolvedBackend, shapes: Record<string, number[]>,
  notify: (message: string) => void = () => undefined,
): { params: Record<string, Tensor>; state: CheckpointState } | null {
  const hash = configHash(cfg);
  const metricsPath = join(out, 'metrics.jsonl');
  if (mode === 'resume') {
    const dir = latestCheckpoint(out);
    if (dir) {
      const ck = loadCheckpoint(dir, shapes, cfg.train.optimizer);
      if (ck.state.configHash !== hash) {
        throw new CheckpointError(`checkpoint ${dir}: it was written with another config (hash ${ck.state.configHash}, now ${hash}); only train.steps may change on resume`);
      }
      if (cfg.train.steps < ck.state.step) {
        throw new RunFolderError(`train.steps: --steps ${cfg.train.steps} is below the run's step ${ck.state.step}; a resumed run trains on to a later step`);
      }
      const kept = readMetrics(metricsPath, notify).filter((m) => m.step <= ck.state.step);
      writeAtomic(metricsPath, kept.map((m) => JSON.stringify(m) + '\n').join(''));
      return ck;
    }
    notify(`${out}: no completed checkpoint to resume from; starting over from step 0`);
  }
  for (const f of RUN_FILES) rmSync(join(out, f), { recursive: true, force: true });
  writeAtomic(join(out, 'config.json'), JSON.stringify({ ...cfg, resolved: { backend, configHash: hash, machine: `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`, node: process.version, started: new Date().toISOString() } }, null, 2) + '\n');
  writing(metricsPath, () => writeFileSync(metricsPath, ''));
  return null;
}

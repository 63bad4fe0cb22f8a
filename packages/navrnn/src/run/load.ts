/** Reading a finished (or running) run folder back: its config and a checkpoint's weights. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig, type RunConfig } from '../config.js';
import { cpuBackend } from '../backends/resolve.js';
import { networkFor } from '../networks/build.js';
import type { Weights } from '../networks/network.js';
import { CheckpointError, checkpointStep, latestCheckpoint, loadCheckpoint, loadWeights } from './checkpoint.js';
import { RunFolderError } from './folder.js';

/** A JSON file's content; a missing, unreadable or unparsable file is a RunFolderError naming it. */
export function readJsonFile(path: string, what: string): unknown {
  if (!existsSync(path)) throw new RunFolderError(`${what} ${path} does not exist`);
  if (statSync(path).isDirectory()) throw new RunFolderError(`${what} ${path} is a folder, not a file`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RunFolderError(`${what} ${path} cannot be read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RunFolderError(`${what} ${path} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * A config file's fields (a run folder's config.json too: its `resolved` block, which is output,
 * is dropped), unvalidated; anything but a JSON object is a ConfigError naming the file.
 */
export function readConfigFile(path: string, what = 'config file'): Record<string, unknown> {
  const value = readJsonFile(path, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${path}: a config must be a JSON object, got ${JSON.stringify(value).slice(0, 40)}`);
  }
  const fields = { ...(value as Record<string, unknown>) };
  delete fields.resolved;
  return fields;
}

/** A run's config.json as a config, unvalidated (see readConfigFile). */
export function readRunConfigInput(runDir: string): Record<string, unknown> {
  return readConfigFile(join(runDir, 'config.json'), 'the run config');
}

/**
 * One checkpoint's weights, with the shapes the config's network has, and its step. Its state.json
 * is checked where it exists; a checkpoint kept for analysis only (the run records in docs/runs
 * keep their weights, not the optimizer state, which is for resuming and large) has none.
 */
export function loadRunCheckpoint(cfg: RunConfig, dir: string): { params: Weights; step: number } {
  const shapes = networkFor(cfg, cpuBackend(cfg.backend)).shapes;
  const step = checkpointStep(dir);
  if (!existsSync(join(dir, 'state.json')) && step !== undefined) return { params: loadWeights(dir, shapes), step };
  const { params, state } = loadCheckpoint(dir, shapes, cfg.train.optimizer);
  return { params, step: state.step };
}

/** A run's config and one of its checkpoints (default: the latest), checked. */
export function loadRun(runDir: string, checkpoint?: string): { cfg: RunConfig; dir: string; params: Weights; step: number } {
  const cfg = parseConfig(readRunConfigInput(runDir));
  const dir = checkpoint ?? latestCheckpoint(runDir);
  if (!dir) throw new CheckpointError(`no checkpoint in ${runDir} (checkpoints/latest is missing)`);
  return { cfg, dir, ...loadRunCheckpoint(cfg, dir) };
}

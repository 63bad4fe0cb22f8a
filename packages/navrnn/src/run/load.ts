/** Reading a finished (or running) run folder back: its config and a checkpoint's weights. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type RunConfig } from '../config.js';
import { cpuBackend } from '../backends/resolve.js';
import { networkFor } from '../networks/build.js';
import type { Weights } from '../networks/network.js';
import { CheckpointError, latestCheckpoint, loadCheckpoint, type CheckpointState } from './checkpoint.js';
import { RunFolderError } from './folder.js';

/** A JSON file's content; a missing or unparsable file is a RunFolderError naming it. */
export function readJsonFile(path: string, what: string): unknown {
  if (!existsSync(path)) throw new RunFolderError(`${what} ${path} does not exist`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RunFolderError(`${what} ${path} is not valid JSON (${(e as Error).message})`);
  }
}

/** A run's config.json as a config (its `resolved` block, which is output, dropped), unvalidated. */
export function readRunConfigInput(runDir: string): Record<string, unknown> {
  const saved = readJsonFile(join(runDir, 'config.json'), 'the run config') as Record<string, unknown>;
  delete saved.resolved;
  return saved;
}

/** One checkpoint's weights, with the shapes the config's network has, and its state. */
export function loadRunCheckpoint(cfg: RunConfig, dir: string): { params: Weights; state: CheckpointState } {
  return loadCheckpoint(dir, networkFor(cfg, cpuBackend(cfg.backend)).shapes);
}

/** A run's config and one of its checkpoints (default: the latest), checked. */
export function loadRun(runDir: string, checkpoint?: string): { cfg: RunConfig; dir: string; params: Weights; state: CheckpointState } {
  const cfg = parseConfig(readRunConfigInput(runDir));
  const dir = checkpoint ?? latestCheckpoint(runDir);
  if (!dir) throw new CheckpointError(`no checkpoint in ${runDir} (checkpoints/latest is missing)`);
  return { cfg, dir, ...loadRunCheckpoint(cfg, dir) };
}

#!/usr/bin/env node
/**
 * gridcells — train the path-integrating RNN and evaluate it.
 *
 *   gridcells train --preset quick --out runs/quick
 *   gridcells train --config my.json --out runs/a --steps 5000 --seed 3
 *   gridcells train --out runs/a --resume
 *   gridcells eval runs/a
 */
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, PRESETS, mergeConfig, parseConfig, presetConfig, type RunConfig } from './config.js';
import { CheckpointError, latestCheckpoint, loadCheckpoint } from './checkpoint.js';
import { RunFolderError, TrainingError, evaluate, kernelsOf, modelConfig, resolveBackend, toBatch, train } from './train.js';
import { makeArena } from './arena.js';
import { generateTrajectories } from './trajectory.js';
import { paramShapes } from './model.js';
import { progressReporter } from './progress.js';
import { Rng, setBackend } from '@gridcells/tensor';

class UsageError extends Error {}

function intOption(v: string, name: string): number {
  const x = Number(v);
  if (!Number.isInteger(x)) throw new UsageError(`${name} must be an integer, got '${v}'`);
  return x;
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new UsageError(`${what} ${path} does not exist`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${what} ${path} is not valid JSON (${(e as Error).message})`);
  }
}

/** The config of `train`: a preset or a file, with command-line overrides. */
function resolveConfig(o: { preset?: string; config?: string; steps?: string; seed?: string; backend?: string; out: string; resume?: boolean }): RunConfig {
  const overrides: Record<string, unknown> = {};
  if (o.steps !== undefined) overrides.train = { steps: intOption(o.steps, '--steps') };
  if (o.seed !== undefined) overrides.seed = intOption(o.seed, '--seed');
  if (o.backend !== undefined) overrides.backend = o.backend;
  if (o.resume && !o.preset && !o.config) {
    // resume with the run's own config (its resolved block dropped), overrides on top
    const saved = readJson(join(o.out, 'config.json'), 'the run config') as Record<string, unknown>;
    delete saved.resolved;
    return parseConfig(mergeConfig(saved, overrides));
  }
  if (o.preset && o.config) throw new UsageError('give --preset or --config, not both');
  if (o.config) return parseConfig(mergeConfig(readJson(o.config, 'config file'), overrides));
  return presetConfig(o.preset ?? 'quick', overrides);
}

export function program(): Command {
  const cmd = new Command('gridcells')
    .description('Train recurrent networks to path-integrate in 2D arenas (Cueva & Wei 2018) and evaluate them.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  cmd
    .command('train')
    .description('train a network; writes config.json, metrics.jsonl and checkpoints/ into --out')
    .option('--preset <name>', `a preset: ${Object.keys(PRESETS).join(', ')} (default quick)`)
    .option('--config <file>', 'a JSON config (fields as in the presets; see the README)')
    .requiredOption('--out <dir>', 'the run folder')
    .option('--steps <n>', 'training steps (overrides the config)')
    .option('--seed <n>', 'random seed (overrides the config)')
    .option('--backend <name>', 'kernels: auto or reference (overrides the config)')
    .option('--resume', 'continue the run in --out from its latest checkpoint')
    .action(async (o) => {
      const cfg = resolveConfig(o);
      const backend = await resolveBackend(cfg.backend);
      process.stderr.write(
        `gridcells: training ${cfg.preset ?? 'custom config'} (N ${cfg.model.hidden}, batch ${cfg.train.batch} x ${cfg.train.timeSteps} steps, ` +
          `${cfg.encoding}, ${cfg.arena.kind}) for ${cfg.train.steps} steps on the ${backend} backend, seed ${cfg.seed} -> ${o.out}\n`,
      );
      const r = await train(cfg, { out: o.out, resume: Boolean(o.resume), onProgress: progressReporter() });
      process.stdout.write(
        `step ${r.step}: held-out position error ${r.evalErrorCm.toFixed(2)} cm (always answering the centre: ${r.centreErrorCm.toFixed(2)} cm); ` +
          `${r.seconds.toFixed(1)} s on the ${r.backend} backend\nrun folder: ${o.out}\n`,
      );
    });

  cmd
    .command('eval')
    .description('position error of a checkpoint on fresh trajectories')
    .argument('<run>', 'a run folder')
    .option('--checkpoint <dir>', 'a checkpoint folder (default: the run\'s latest)')
    .option('--trials <n>', 'number of fresh trajectories', '128')
    .option('--time-steps <n>', 'steps per trajectory (default: the training length)')
    .option('--seed <n>', 'seed of the fresh trajectories', '12345')
    .action(async (run: string, o) => {
      const saved = readJson(join(run, 'config.json'), 'the run config') as Record<string, unknown>;
      delete saved.resolved;
      const cfg = parseConfig(saved);
      const dir = o.checkpoint ?? latestCheckpoint(run);
      if (!dir) throw new CheckpointError(`no checkpoint in ${run} (checkpoints/latest is missing)`);
      const model = modelConfig(cfg);
      const { params, state } = loadCheckpoint(dir, paramShapes(model));
      const T = o.timeSteps !== undefined ? intOption(o.timeSteps, '--time-steps') : cfg.train.timeSteps;
      const trials = intOption(o.trials, '--trials');
      if (trials < 1 || T < 1) throw new UsageError('--trials and --time-steps must be >= 1');
      const tr = generateTrajectories(makeArena(cfg.arena), cfg.trajectory, trials, T, cfg.encoding, new Rng(intOption(o.seed, '--seed')));
      const backend = await resolveBackend(cfg.backend);
      setBackend(kernelsOf(backend));
      const e = evaluate(model, params, toBatch(tr, null));
      process.stdout.write(
        JSON.stringify({ checkpoint: dir, step: state.step, trials, time_steps: T, error_cm: e.errorCm, centre_error_cm: e.centreCm, backend }) + '\n',
      );
    });
  return cmd;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof CheckpointError || e instanceof RunFolderError || e instanceof TrainingError) {
      process.stderr.write(`gridcells: ${e.message}\n`);
      return e instanceof TrainingError ? 3 : 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
// gpu.js / Dawn may keep handles open; the work is done
process.exit(process.exitCode);

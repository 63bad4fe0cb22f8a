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
import { join } from 'node:path';
import { Rng, setBackend } from '@gridcells/tensor';
import { ConfigError, PRESETS, mergeConfig, parseConfig, presetConfig, type RunConfig } from './config.js';
import { BackendError, cpuBackend, tensorKernels } from './backends/resolve.js';
import { makeArena } from './world/arena.js';
import { generateTrajectories } from './world/trajectory.js';
import { networkFor, resolveRunBackend } from './networks/build.js';
import { evaluate } from './networks/network.js';
import { CheckpointError } from './run/checkpoint.js';
import { RunFolderError } from './run/folder.js';
import { loadRun, readConfigFile, readRunConfigInput } from './run/load.js';
import { FolderError } from './run/files.js';
import { progressReporter } from './run/progress.js';
import { TrainingError, train } from './run/train.js';
import { analyzeRun } from './analysis/analyze-run.js';
import { AnalysisError, MAX_SAMPLES } from './analysis/analyze.js';
import { CELL_CLASSES, NpyError } from '@gridcells/gridscore';
import { openSweep, sweepStatus, writeState } from './sweep/folder.js';
import { runLocal } from './sweep/local.js';
import { SlurmError, slurmScript, submitSlurm } from './sweep/slurm.js';
import { collectSweep } from './sweep/collect.js';

class UsageError extends Error {}

function intOption(v: string, name: string): number {
  const x = Number(v);
  if (!Number.isInteger(x)) throw new UsageError(`${name} must be an integer, got '${v}'`);
  return x;
}

/**
 * The experiment `gridcells run` (and `npm start`) runs without --preset: the smallest recipe
 * measured to show grid, border and band units on a 2-core CPU in under 20 minutes (README).
 */
export const DEFAULT_RUN_PRESET = 'placecell';

/** The config of `train` and `run`: a preset or a file, with command-line overrides. */
function resolveConfig(o: { preset?: string; config?: string; steps?: string; seed?: string; backend?: string; optimizer?: string; threads?: string; out: string; resume?: boolean; force?: boolean }, fallback = 'quick'): RunConfig {
  const overrides: Record<string, unknown> = {};
  const train: Record<string, unknown> = {};
  if (o.steps !== undefined) train.steps = intOption(o.steps, '--steps');
  if (o.optimizer !== undefined) train.optimizer = o.optimizer;
  if (o.threads !== undefined) train.threads = intOption(o.threads, '--threads');
  if (Object.keys(train).length) overrides.train = train;
  if (o.seed !== undefined) overrides.seed = intOption(o.seed, '--seed');
  if (o.backend !== undefined) overrides.backend = o.backend;
  if (o.resume && o.force) throw new UsageError('give --resume or --force, not both');
  if (o.resume && !o.preset && !o.config) {
    // resume with the run's own config, overrides on top
    return parseConfig(mergeConfig(readRunConfigInput(o.out), overrides));
  }
  if (o.preset && o.config) throw new UsageError('give --preset or --config, not both');
  if (o.config) {
    // a run folder's config.json works as a config: its `resolved` block is output, not input
    return parseConfig(mergeConfig(readConfigFile(o.config), overrides));
  }
  return presetConfig(o.preset ?? fallback, overrides);
}

export function program(): Command {
  const cmd = new Command('gridcells')
    .description('Train recurrent networks to path-integrate in 2D arenas (Cueva & Wei 2018) and evaluate them.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', '\nAny command takes --debug (or GRIDCELLS_DEBUG=1) to show the stack of an error.');

  cmd
    .command('train')
    .description('train a network; writes config.json, metrics.jsonl and checkpoints/ into --out')
    .option('--preset <name>', `a preset: ${Object.keys(PRESETS).join(', ')} (default quick)`)
    .option('--config <file>', 'a JSON config (fields as in the presets; see the README)')
    .requiredOption('--out <dir>', 'the run folder')
    .option('--steps <n>', 'training steps (overrides the config)')
    .option('--seed <n>', 'random seed (overrides the config)')
    .option('--backend <name>', 'kernels: auto, wasm, js, autograd, webgpu, gpujs-webasm, gpujs-cpu (overrides the config)')
    .option('--optimizer <name>', 'adam, sgd or hf (Hessian-free; its settings under train.hf in the config)')
    .option('--threads <n>', 'threads that compute a step (default: the cores; the numbers do not depend on it)')
    .option('--resume', 'continue the run in --out from its latest checkpoint (a run with none starts over)')
    .option('--force', 'discard the run in --out and start a new one (a folder that holds no run is never touched)')
    .action(async (o) => {
      const cfg = resolveConfig(o);
      const backend = await resolveRunBackend(cfg);
      process.stderr.write(
        `gridcells: training ${cfg.preset ?? 'custom config'} (N ${cfg.model.hidden}, batch ${cfg.train.batch} x ${cfg.train.timeSteps} steps, ` +
          `${cfg.encoding}, ${cfg.arena.kind}) for ${cfg.train.steps} steps on the ${backend} backend, seed ${cfg.seed} -> ${o.out}\n`,
      );
      const r = await train(cfg, { out: o.out, resume: Boolean(o.resume), force: Boolean(o.force), onProgress: progressReporter(), notify });
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
    .option('--trials <n>', `number of fresh trajectories (trials x time steps at most ${MAX_SAMPLES.toLocaleString('en')})`, '128')
    .option('--time-steps <n>', 'steps per trajectory (default: the training length)')
    .option('--seed <n>', 'seed of the fresh trajectories', '12345')
    .action(async (run: string, o) => {
      const { cfg, dir, params, step } = loadRun(run, o.checkpoint);
      const T = o.timeSteps !== undefined ? intOption(o.timeSteps, '--time-steps') : cfg.train.timeSteps;
      const trials = intOption(o.trials, '--trials');
      if (trials < 1 || T < 1) throw new UsageError('--trials and --time-steps must be >= 1');
      if (trials * T > MAX_SAMPLES) {
        throw new UsageError(`--trials x --time-steps is ${trials * T}; at most ${MAX_SAMPLES} samples are evaluated at once (use fewer trials or shorter paths)`);
      }
      const tr = generateTrajectories(makeArena(cfg.arena), cfg.trajectory, trials, T, cfg.encoding, new Rng(intOption(o.seed, '--seed')));
      const backend = cpuBackend(cfg.backend);
      setBackend(tensorKernels(backend));
      const e = evaluate(networkFor(cfg, backend), params, tr);
      process.stdout.write(
        JSON.stringify({ checkpoint: dir, step, trials, time_steps: T, error_cm: e.errorCm, centre_error_cm: e.centreCm, backend }) + '\n',
      );
    });
  cmd
    .command('analyze')
    .alias('report')
    .description(
      'rate maps of every unit on fresh trajectories, grid/border/band scores and classes against the untrained network, ' +
        'every checkpoint for the development curves, the long-path test; writes analysis/, scores.csv and report.html (also: report)',
    )
    .argument('<run>', 'a run folder')
    .option('--checkpoint <dir>', 'a checkpoint folder (default: the run\'s latest)')
    .option('--trials <n>', `fresh trajectories for the rate maps (default 200; PlaceCellRNN: 100,000 steps' worth; trials x steps at most ${MAX_SAMPLES.toLocaleString('en')})`)
    .option('--burn-in <n>', 'leading steps of each trajectory left out, 0 to one less than the steps (default 10% of them)')
    .option('--long-factor <n>', 'long-path test: paths this many times the training length (16 paths, at most the sample limit)', '100')
    .option('--shuffles <n>', 'shuffles per unit for the significance tests (default 100; 0: none)')
    .option('--threads <n>', 'threads that score the units (default: the cores; the numbers do not depend on it)')
    .action(async (run: string, o) => {
      await analyzeCommand(run, o);
    });

  cmd
    .command('run')
    .description(`train, then analyze: the whole experiment (npm start runs it with the ${DEFAULT_RUN_PRESET} preset)`)
    .option('--preset <name>', `a preset: ${Object.keys(PRESETS).join(', ')} (default ${DEFAULT_RUN_PRESET})`)
    .option('--config <file>', 'a JSON config')
    .option('--out <dir>', 'the run folder (default runs/<preset>-<date>-<time>)')
    .option('--steps <n>', 'training steps (overrides the config)')
    .option('--seed <n>', 'random seed (overrides the config)')
    .option('--backend <name>', 'kernels (overrides the config)')
    .option('--optimizer <name>', 'adam, sgd or hf (overrides the config)')
    .option('--threads <n>', 'threads that compute a step (default: the cores)')
    .option('--resume', 'continue the run in --out from its latest checkpoint (or start it when it has none), then analyse it')
    .action(async (o) => {
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      o.out ??= join('runs', `${o.preset ?? (o.config ? 'custom' : DEFAULT_RUN_PRESET)}-${stamp}`);
      const cfg = resolveConfig(o, DEFAULT_RUN_PRESET);
      const backend = await resolveRunBackend(cfg);
      process.stderr.write(`gridcells: training ${cfg.preset ?? 'custom config'} for ${cfg.train.steps} steps on the ${backend} backend -> ${o.out}\n`);
      const r = await train(cfg, { out: o.out, resume: o.resume, onProgress: progressReporter(), notify });
      process.stdout.write(`trained: held-out position error ${r.evalErrorCm.toFixed(2)} cm (always answering the centre: ${r.centreErrorCm.toFixed(2)} cm), ${r.seconds.toFixed(1)} s\n`);
      await analyzeCommand(o.out, { threads: o.threads });
    });
  cmd
    .command('sweep')
    .description('run every point of a sweep spec (a base config, axes or points, seeds), one run folder per point; `sweep status SWEEP` reads where it stands')
    .argument('<spec>', 'SPEC.json (or: status)')
    .argument('[sweep]', 'with status: the sweep folder')
    .option('--out <dir>', 'the sweep folder')
    .option('--executor <name>', 'local (default: worker processes here) or slurm (a job array submitted with sbatch)', 'local')
    .option('--workers <n>', 'local: points run at once (default: the cores / --threads)')
    .option('--threads <n>', 'threads per run (default 1)', '1')
    .option('--dry-run', 'slurm: print the job-array script and submit nothing')
    .option('--partition <name>', 'slurm: #SBATCH --partition')
    .option('--time <limit>', 'slurm: #SBATCH --time (e.g. 4:00:00)')
    .option('--mem <size>', 'slurm: #SBATCH --mem (e.g. 4G)')
    .option('--gpus <n>', 'slurm: GPUs per task (for backend webgpu)')
    .option('--parallel <n>', 'slurm: tasks running at once')
    .action(async (spec: string, sweepDir: string | undefined, o) => {
      await sweepCommand(spec, sweepDir, o);
    });

  cmd
    .command('collect')
    .description('one table (sweep.csv) and a report (report.html) of a sweep\'s finished points')
    .argument('<sweep>', 'a sweep folder')
    .action((sweepDir: string) => {
      const c = collectSweep(sweepDir);
      process.stdout.write(`${c.results.length} points in ${c.csv}${c.unfinished ? ` (${c.unfinished} not finished)` : ''}\nreport: ${c.report}\n`);
    });
  return cmd;
}

/** `sweep`: run a spec's points (local or Slurm), or print a sweep's status. */
async function sweepCommand(spec: string, sweepDir: string | undefined, o: Record<string, string | boolean | undefined>): Promise<void> {
  if (spec === 'status') {
    if (!sweepDir) throw new UsageError('sweep status needs the sweep folder: gridcells sweep status SWEEP');
    const { points, counts } = sweepStatus(sweepDir);
    for (const p of points) process.stdout.write(`${p.status.padEnd(8)} ${p.name}\n`);
    process.stdout.write(`${counts.done} done, ${counts.partial} partial, ${counts.pending} pending of ${points.length}\n`);
    return;
  }
  if (sweepDir) throw new UsageError(`unexpected argument '${sweepDir}': the sweep folder is --out`);
  if (typeof o.out !== 'string') throw new UsageError('sweep needs --out SWEEP (the sweep folder)');
  const threads = intOption(String(o.threads), '--threads');
  if (threads < 1) throw new UsageError(`--threads must be >= 1, got ${threads}`);
  const positive = (name: string) => {
    const v = o[name];
    if (v === undefined) return undefined;
    const x = intOption(String(v), `--${name}`);
    if (x < 1) throw new UsageError(`--${name} must be >= 1, got ${x}`);
    return x;
  };
  const { points } = openSweep(spec, o.out);
  if (o.executor === 'slurm') {
    const slurm = { partition: o.partition as string | undefined, time: o.time as string | undefined, mem: o.mem as string | undefined, gpus: positive('gpus'), parallel: positive('parallel'), cpus: threads };
    if (o.dryRun) {
      process.stdout.write(slurmScript(o.out, points, slurm).script);
      return;
    }
    const r = submitSlurm(o.out, points, slurm);
    writeState(o.out, { executor: 'slurm', job: r.jobId, script: r.file });
    process.stdout.write(r.tasks ? `submitted job ${r.jobId}: ${r.tasks} tasks (${r.file}); gridcells sweep status ${o.out}\n` : 'every point is done; nothing submitted\n');
    return;
  }
  if (o.executor !== 'local') throw new UsageError(`--executor must be local or slurm, got '${o.executor}'`);
  if (o.dryRun) throw new UsageError('--dry-run is for --executor slurm');
  const failed = await runLocal(o.out, points, { workers: positive('workers'), threads });
  if (failed.length) throw new SweepError(`${failed.length} of ${points.length} points failed (${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ', ...' : ''}); their run folders keep their last checkpoint: run the same command again to resume them`);
  process.stdout.write(`sweep done: ${points.length} points in ${o.out}; gridcells collect ${o.out}\n`);
}

/** Some points of a sweep failed (each one's own error was printed): exit 4. */
class SweepError extends Error {}
const SWEEP_FAILED = 4;

/** `analyze`: the analysis of a run, with a table of counts against the untrained network. */
async function analyzeCommand(run: string, o: { checkpoint?: string; trials?: string; burnIn?: string; longFactor?: string; shuffles?: string; threads?: string }): Promise<void> {
  const trials = o.trials !== undefined ? intOption(o.trials, '--trials') : undefined;
  if (trials !== undefined && trials < 1) throw new UsageError('--trials must be >= 1');
  const burnIn = o.burnIn !== undefined ? intOption(o.burnIn, '--burn-in') : undefined;
  if (burnIn !== undefined && burnIn < 0) throw new UsageError(`--burn-in must be >= 0, got ${burnIn}`);
  const longFactor = intOption(o.longFactor ?? '100', '--long-factor');
  if (longFactor < 1) throw new UsageError('--long-factor must be >= 1');
  const shuffles = o.shuffles !== undefined ? intOption(o.shuffles, '--shuffles') : undefined;
  if (shuffles !== undefined && (shuffles < 0 || shuffles > 10_000)) throw new UsageError(`--shuffles must be from 0 to 10000, got ${shuffles}`);
  const threads = o.threads !== undefined ? intOption(o.threads, '--threads') : undefined;
  if (threads !== undefined && threads < 1) throw new UsageError(`--threads must be >= 1, got ${threads}`);
  const a = await analyzeRun(run, { checkpoint: o.checkpoint, trials, burnIn, longFactor, shuffles, threads });
  const row = (name: string, c: Record<string, number>) => `${name.padEnd(34)} ${CELL_CLASSES.map((k) => String(c[k]).padStart(11)).join('')}`;
  const t = a.trained;
  process.stdout.write(
    `units by class (${t.units.length} units; gridscore's thresholds; significant: also above the ${t.percentile}th percentile of ${t.shuffles} shuffles)\n` +
      `${''.padEnd(34)}${CELL_CLASSES.map((k) => k.padStart(11)).join('')}\n` +
      row(`trained (step ${a.step})`, t.counts) + '\n' + row('trained, significant', t.significantCounts) + '\n' +
      row('untrained (step 0)', a.untrained.counts) + '\n' + row('untrained, significant', a.untrained.significantCounts) + '\n' +
      `shuffles: ${t.seconds.toFixed(0)} s trained, ${a.untrained.seconds.toFixed(0)} s untrained, on ${t.threads} threads\n` +
      `scores: ${join(run, 'scores.csv')}; rate maps and summary: ${a.analysisDir}\nreport: ${a.report}\n`,
  );
}

/** Errors that come from what the user gave (a flag, a file, a folder): exit 2, one line. */
const INPUT_ERRORS = [UsageError, ConfigError, BackendError, CheckpointError, RunFolderError, FolderError, AnalysisError, NpyError, SlurmError];

/** Training stopped because the loss or gradient was not finite: exit 3, one line. */
const TRAINING_STOPPED = 3;

/**
 * Runs the CLI and returns its exit code. Every failure is one line on stderr: exit 2 for bad input
 * (flags, files, folders, the file system's refusals), 3 when training diverged, 1 for a fault of
 * our own. `--debug` (or GRIDCELLS_DEBUG=1) adds the stack.
 */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug') || process.env.GRIDCELLS_DEBUG === '1';
  const args = argv.filter((a) => a !== '--debug');
  try {
    await program().parseAsync(args, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const err = e instanceof Error ? e : new Error(String(e));
    const fsError = typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
    let code = 1;
    if (err instanceof TrainingError) code = TRAINING_STOPPED;
    else if (err instanceof SweepError) code = SWEEP_FAILED;
    else if (fsError || INPUT_ERRORS.some((k) => err instanceof k)) code = 2;
    const message = code === 1 ? `internal error: ${err.message} (a fault of gridcells, not of your input; --debug shows where)` : err.message;
    process.stderr.write(`gridcells: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (debug) process.stderr.write(`${err.stack ?? ''}\n`);
    return code;
  }
}

/** Progress notes about the run folder, on stderr. */
function notify(message: string): void {
  process.stderr.write(`gridcells: ${message}\n`);
}

process.exitCode = await main(process.argv.slice(2));
// gpu.js / Dawn may keep handles open; the work is done, once what was written to a pipe is out
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((done) => s.write('', done))));
process.exit(process.exitCode);

/**
 * The Slurm executor: one job-array script, one task per point, each running the point's ordinary
 * `gridcells run --resume` (so a requeued or preempted task continues from its checkpoint), and
 * `sbatch` to submit it. The #SBATCH lines come from options; nothing here schedules anything.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeAtomic } from '../run/files.js';
import { GRIDCELLS_BIN, pointArgs } from './local.js';
import { pointStatus } from './folder.js';
import type { SweepPoint } from './spec.js';

/** The resources a task asks Slurm for. */
export interface SlurmOptions {
  partition?: string;
  /** Wall-time limit, in Slurm's format (e.g. 2:00:00). */
  time?: string;
  /** CPUs per task: the run's threads (default 1). */
  cpus?: number;
  /** Memory per task, in Slurm's format (e.g. 4G). */
  mem?: string;
  /** GPUs per task (for --backend webgpu). */
  gpus?: number;
  /** Tasks running at once (the array's % limit). */
  parallel?: number;
}

/** A shell word, quoted. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const [NAME, CPUS] = ['@@NAME@@', '@@CPUS@@'];

/** An argument of the task's command in double quotes, with the task's point name and CPU count put in by the shell. */
const taskWord = (cpus: number) => (a: string) =>
  `"${a.replace(/(["\\$`])/g, '\\$1').replace(NAME, '${name}').replace(CPUS, `\${SLURM_CPUS_PER_TASK:-${cpus}}`)}"`;

/** The job-array script for the points not yet done. */
export function slurmScript(sweep: string, points: SweepPoint[], o: SlurmOptions = {}): { script: string; tasks: string[] } {
  const dir = resolve(sweep);
  const tasks = points.filter((p) => pointStatus(sweep, p.name) !== 'done').map((p) => p.name);
  const cpus = o.cpus ?? 1;
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=gridcells-sweep`,
    `#SBATCH --array=0-${Math.max(0, tasks.length - 1)}${o.parallel ? `%${o.parallel}` : ''}`,
    `#SBATCH --cpus-per-task=${cpus}`,
    `#SBATCH --output=${join(dir, 'slurm', '%A_%a.out')}`,
    '#SBATCH --requeue',
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.mem ? [`#SBATCH --mem=${o.mem}`] : []),
    ...(o.gpus ? [`#SBATCH --gpus-per-task=${o.gpus}`] : []),
    '# each task runs one point; --resume continues it from its checkpoint after a requeue',
    'set -euo pipefail',
    `points=(${tasks.map(q).join(' ')})`,
    'name=${points[$SLURM_ARRAY_TASK_ID]}',
    `exec ${q(process.execPath)} ${q(GRIDCELLS_BIN)} ${pointArgs(dir, NAME, CPUS).map(taskWord(cpus)).join(' ')}`,
    '',
  ];
  return { script: lines.join('\n'), tasks };
}

/** Writes SWEEP/sweep.sbatch and submits it with sbatch; the job id. Refuses when sbatch fails, with its message. */
export function submitSlurm(sweep: string, points: SweepPoint[], o: SlurmOptions = {}): { jobId: string; tasks: number; file: string } {
  const { script, tasks } = slurmScript(sweep, points, o);
  const file = join(sweep, 'sweep.sbatch');
  mkdirSync(join(sweep, 'slurm'), { recursive: true });
  writeAtomic(file, script);
  if (tasks.length === 0) return { jobId: '', tasks: 0, file };
  const r = spawnSync('sbatch', ['--parsable', file], { encoding: 'utf8' });
  if (r.error) throw new SlurmError(`sbatch could not be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): is Slurm installed here? ${file} is written; --dry-run prints it`);
  if (r.status !== 0) throw new SlurmError(`sbatch refused ${file}: ${r.stderr.trim().split('\n').at(-1)}`);
  return { jobId: r.stdout.trim().split(';')[0], tasks: tasks.length, file };
}

/** Slurm is missing or refused the job. */
export class SlurmError extends Error {
  override name = 'SlurmError';
}

/**
 * The local executor: the sweep's points run as `gridcells run --resume` processes, `workers` at a
 * time, each on `threads` threads (by default workers x threads is the number of cores). A second
 * invocation skips the finished points and resumes the partial ones exactly, from their
 * checkpoints. One sweep process owns the folder at a time (its lock).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { acquireRunLock } from '../run/lock.js';
import { configOf, pointStatus, runOf, writeState } from './folder.js';
import type { SweepPoint } from './spec.js';

/** The `gridcells` command of this installation. */
export const GRIDCELLS_BIN = fileURLToPath(new URL('../../bin/gridcells.js', import.meta.url));

/** How many points at once, and threads per point. */
export interface LocalOptions {
  /** Points run at once (default: the cores / threads). */
  workers?: number;
  /** Threads per run (default 1). */
  threads?: number;
  /** Where each line of progress goes (default stderr). */
  log?: (line: string) => void;
}

/** The arguments of a point's `gridcells run`, as the local and the Slurm executors give them. */
export function pointArgs(sweep: string, name: string, threads: number | string): string[] {
  return ['run', '--config', configOf(sweep, name), '--out', runOf(sweep, name), '--resume', '--threads', String(threads)];
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const m = Math.round(seconds / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

/**
 * Runs every point that is not done; resolves with the points that failed (their run folders keep
 * their last checkpoint; run the sweep again to resume them).
 */
export async function runLocal(sweep: string, points: SweepPoint[], opts: LocalOptions = {}): Promise<string[]> {
  const threads = opts.threads ?? 1;
  const workers = Math.max(1, opts.workers ?? Math.floor(availableParallelism() / threads));
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const release = acquireRunLock(sweep);
  const children = new Set<ReturnType<typeof spawn>>();
  const stop = () => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const todo = points.filter((p) => pointStatus(sweep, p.name) !== 'done');
    const done0 = points.length - todo.length;
    const failed: string[] = [];
    let [done, running] = [0, 0];
    const t0 = Date.now();
    const state = () => writeState(sweep, { executor: 'local', workers, threads });
    const progress = () => {
      const left = todo.length - done - running;
      const perPoint = done ? (Date.now() - t0) / 1000 / done : NaN;
      log(`sweep: ${done0 + done} done, ${running} running, ${left} left of ${points.length}; ETA ${clock((perPoint * (left + running)) / workers)}`);
    };
    state();
    progress();
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const p = todo[next++];
        running++;
        state();
        const code = await new Promise<number>((resolve) => {
          const child = spawn(process.execPath, [GRIDCELLS_BIN, ...pointArgs(sweep, p.name, threads)], { stdio: ['ignore', 'ignore', 'pipe'] });
          children.add(child);
          let err = '';
          child.stderr!.on('data', (d) => void (err = (err + d).slice(-2000)));
          child.on('close', (c) => {
            children.delete(child);
            if (c !== 0) log(`sweep: ${p.name} failed (exit ${c}): ${err.trim().split('\n').at(-1) ?? ''}`);
            resolve(c ?? 1);
          });
        });
        running--;
        if (code === 0) done++;
        else failed.push(p.name);
        state();
        progress();
      }
    };
    await Promise.all(Array.from({ length: Math.min(workers, todo.length) }, worker));
    return failed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    release();
  }
}

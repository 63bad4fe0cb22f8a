/**
 * Data-parallel training steps on the CPU: one step (forward, BPTT, Adam; data drawn beforehand)
 * of the CuevaRNN (N 100, T 500, batch 64 and 500) and of the PlaceCellRNN at the `placecell`
 * preset's size, on today's single-thread path (one pass over the batch), on one thread in chunks,
 * and on 2..cores threads; then whole training steps as `train` runs them (data drawn while the
 * threads compute); beside PyTorch's CPU step at 1 and 2 threads where a Python with torch is
 * present. Every row names the machine and its threads.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, setBackend } from '@gridcells/tensor';
import { Adam } from '@gridcells/autograd';
import {
  ThreadPool, chunked, generateTrajectories, readMetrics, localRunner, makeArena, networkFor, parseConfig, presetConfig, runStreams, tensorKernels, train, weightList,
  type ConfigInput, type LossAndGradient, type Network, type RunConfig,
} from '@gridcells/navrnn';
import { median, type Row } from './table.js';

const CPU = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`;

/** The CuevaRNN step the other step benchmarks time: N 100, speed + direction, default noise and costs. */
const cuevaConfig = (batch: number): ConfigInput => ({ backend: 'wasm', model: { hidden: 100 }, train: { batch, timeSteps: 500 } });

/** Untimed steps first: every thread compiles the step's code on its own, and a new pool's workers are cold. */
const WARM_UP = 3;

/** Median ms of `reps` training steps (loss, gradient, Adam) on one pre-drawn batch, after WARM_UP untimed. */
function timeSteps(network: Network, cfg: RunConfig, reps: number): number {
  const streams = runStreams(cfg.seed);
  const w = network.init(streams.init);
  const tr = generateTrajectories(makeArena(cfg.arena), cfg.trajectory, cfg.train.batch, cfg.train.timeSteps, cfg.encoding, streams.data);
  const batch = network.trainingBatch(tr, streams.data);
  const adam = new Adam({ lr: 1e-3 });
  const list = weightList(network, w);
  const times: number[] = [];
  for (let i = 0; i < WARM_UP + reps; i++) {
    const t0 = performance.now();
    const r = network.lossAndGradient(w, batch) as LossAndGradient; // the CPU kernels answer at once
    adam.step(list, r.grads);
    if (i >= WARM_UP) times.push(performance.now() - t0);
  }
  return median(times);
}

/** The step on one pass, one thread in chunks, and 2..cores threads. */
async function stepRows(name: string, cfg: RunConfig, reps: number): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (how: string, threads: number, ms: number, note: string): Row => ({
    case: name, backend: 'wasm', how, threads, batch: cfg.train.batch, steps: cfg.train.timeSteps, median_ms: ms, machine: CPU, note,
  });
  setBackend(tensorKernels('wasm'));
  const network = networkFor(cfg, 'wasm');
  rows.push(row('one pass', 1, timeSteps(network, cfg, reps), 'the single-thread path before chunks (the whole batch in one BPTT)'));
  rows.push(row('chunks', 1, timeSteps(chunked(network, localRunner, cfg.train.chunkTrials), cfg, reps), `chunks of ${cfg.train.chunkTrials} trials, this thread`));
  for (let threads = 2; threads <= Math.max(2, availableParallelism()); threads++) {
    const pool = new ThreadPool(cfg, 'wasm', threads);
    rows.push(row('chunks', threads, timeSteps(chunked(network, pool, cfg.train.chunkTrials), cfg, reps), `this thread and ${threads - 1} worker${threads > 2 ? 's' : ''}`));
    await pool.close();
  }
  return rows;
}

/**
 * ms a step of `train` itself (data drawn each step, while the threads compute): the median of the
 * steps' spacing in metrics.jsonl, so the start (worker threads, the first evaluation) is left out.
 */
async function trainRows(name: string, input: ConfigInput, steps: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const threads of [1, Math.max(2, availableParallelism())]) {
    const cfg = parseConfig({ ...input, train: { ...(input.train ?? {}), steps, threads, evalEvery: 10_000_000, checkpointEvery: 10_000_000 } });
    const out = join(mkdtempSync(join(tmpdir(), 'bench-')), 'run');
    const r = await train(cfg, { out });
    const t = readMetrics(join(out, 'metrics.jsonl')).map((m) => m.time_s);
    const ms = median(t.slice(3, -1).map((v, i) => 1000 * (t[i + 4] - v)));
    rows.push({ case: name, backend: r.backend, how: 'train', threads, batch: cfg.train.batch, steps: cfg.train.timeSteps, median_ms: ms, machine: CPU, note: `gridcells train, ${steps} steps, data drawn each step (median spacing of the steps)` });
  }
  return rows;
}

/** The first Python that imports torch (PATH's python3, then the system's), or null. */
function pythonWithTorch(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return python;
  }
  return null;
}

/** PyTorch's step (benchmarks/peers/torch_step.py) at 1 and 2 threads, where a Python has torch. */
function torchRows(batches: number[]): Row[] {
  const script = fileURLToPath(new URL('../peers/torch_step.py', import.meta.url));
  const python = pythonWithTorch();
  if (!python) {
    return [{ case: 'cueva training step', backend: 'pytorch', how: '-', threads: null, batch: null, steps: 500, median_ms: null, machine: CPU, note: 'skipped: no Python with torch here (Debian: apt-get install python3-torch)' }];
  }
  const rows: Row[] = [];
  for (const batch of batches) {
    for (const threads of [1, 2]) {
      const r = spawnSync(python, [script, String(batch), String(threads), batch > 100 ? '3' : '7'], { encoding: 'utf8' });
      const out = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)!) : null;
      rows.push({ case: 'cueva training step', backend: 'pytorch', how: 'peer', threads, batch, steps: 500, median_ms: out?.median_ms ?? null, machine: CPU, note: out ? `PyTorch ${out.torch} CPU, the same step (peer)` : `failed: ${r.stderr.trim().split('\n').at(-1)}` });
    }
  }
  return rows;
}

export async function benchThreads(): Promise<Row[]> {
  return [
    ...(await stepRows('cueva training step', parseConfig(cuevaConfig(64)), 11)),
    ...(await stepRows('cueva training step', parseConfig(cuevaConfig(500)), 5)),
    ...torchRows([64, 500]),
    ...(await stepRows('placecell training step', presetConfig('placecell', { backend: 'wasm' }), 15)),
    ...(await trainRows('cueva training step', cuevaConfig(64), 20)),
    ...(await trainRows('placecell training step', placecellInput(), 40)),
  ];
}

/** The placecell preset as a config input (its fields, the wasm backend). */
function placecellInput(): ConfigInput {
  const { preset: _p, ...rest } = presetConfig('placecell', { backend: 'wasm' });
  return rest as ConfigInput;
}

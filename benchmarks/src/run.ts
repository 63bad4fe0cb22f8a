/**
 * `npm run bench`: runs the benchmarks, prints each as a table beside its peers, and writes
 * benchmarks/results/<name>.json (one object per case) with the machine and the date.
 *   npm run bench                  all
 *   npm run bench -- gridscore     one
 */
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, printTable, writeJson, type Row } from './table.js';

// BENCH_RESULTS moves the results folder (the GPU machine's bundle writes under $OUT)
const resultPath = (file: string) =>
  process.env.BENCH_RESULTS ? join(process.env.BENCH_RESULTS, file) : fileURLToPath(new URL(`../results/${file}`, import.meta.url));

const STEP_COLUMNS = ['case', 'backend', 'hidden', 'batch', 'steps', 'median_ms', 'gflops', 'note'];
const GPU_COLUMNS = ['case', 'backend', 'hidden', 'batch', 'steps', 'median_ms', 'gflops', 'max_rel_err', 'note'];
const suites: Record<string, { run: () => Row[] | Promise<Row[]>; columns?: string[] }> = {
  matmul: { run: async () => (await import('./step.bench.js')).benchMatmul(), columns: STEP_COLUMNS },
  step: { run: async () => (await import('./step.bench.js')).benchTrainingStep(), columns: STEP_COLUMNS },
  gpu: { run: async () => (await import('./gpu.bench.js')).benchGpu(), columns: GPU_COLUMNS },
  threads: {
    run: async () => (await import('./threads.bench.js')).benchThreads(),
    columns: ['case', 'backend', 'how', 'threads', 'batch', 'steps', 'median_ms', 'machine', 'note'],
  },
  gridscore: { run: async () => (await import('./gridscore.bench.js')).benchGridscore(), columns: ['case', 'backend', 'maps', 'maps_per_s', 'note'] },
  hf: {
    run: async () => {
      const { benchHessianFree } = await import('./hf.bench.js');
      const { lineChart } = await import('@gridcells/navrnn');
      const seconds = Number(process.env.HF_BENCH_SECONDS ?? 150);
      const r = await benchHessianFree({ seconds, hidden: 100, timeSteps: 100, batch: 64 });
      writeFileSync(resultPath('hf.svg'), lineChart('CuevaRNN, speed + direction inputs: held-out error vs wall time', 'wall time (s)', 'position error (cm)', r.series));
      console.log(r.summary);
      return r.rows;
    },
  },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
// The default run is the CPU suites; `gpu` is asked for by name (on a GPU machine: benchmarks/gpu/README.md).
// Suites are loaded when asked for, so the GPU suite runs where TensorFlow.js (the CPU peer) is not installed.
const names = wanted.length ? wanted : Object.keys(suites).filter((n) => n !== 'gpu');
for (const name of names) {
  const suite = suites[name];
  if (!suite) {
    console.error(`bench: unknown benchmark '${name}' (have: ${Object.keys(suites).join(', ')})`);
    process.exit(2);
  }
  const rows = await suite.run();
  const info = { benchmark: name, date: new Date().toISOString(), machine: machine() };
  printTable(`${name} — ${info.machine} — ${info.date.slice(0, 10)}`, rows, suite.columns ?? Object.keys(rows[0]));
  const out = resultPath(`${name}.json`);
  writeJson(out, { ...info, cases: rows });
  console.log(`wrote ${out}`);
}

// gpu.js / Dawn may keep handles open once the benchmarks are done
process.exit(0);

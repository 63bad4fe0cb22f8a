/**
 * Hessian-free against Adam on the CuevaRNN with the paper's inputs (speed and direction angle):
 * held-out position error against wall time, same network, data, seed and backend, each given
 * the same time budget. Prints a table, writes the points to JSON and a chart to SVG.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig, train, type MetricsLine } from '@gridcells/navrnn';
import type { Row } from './table.js';
import type { Series } from '@gridcells/navrnn';

export interface HfBenchOptions {
  seconds: number;
  hidden: number;
  timeSteps: number;
  batch: number;
}

/** Runs one optimizer for `seconds` (steps are capped high; the budget ends the run). */
async function runFor(optimizer: 'adam' | 'hf', o: HfBenchOptions): Promise<{ points: [number, number][]; steps: number; backend: string }> {
  const out = join(mkdtempSync(join(tmpdir(), 'hf-bench-')), optimizer);
  const cfg = presetConfig('cueva-square', {
    seed: 1,
    model: { hidden: o.hidden },
    train: {
      optimizer, steps: 100_000, batch: o.batch, timeSteps: o.timeSteps, lr: 1e-3,
      evalEvery: optimizer === 'hf' ? 2 : 20, evalBatch: 128, checkpointEvery: 100_000,
      hf: { maxCgIterations: 50, curvatureFraction: 0.2 },
    },
  });
  const t0 = Date.now();
  let stopAt = Infinity;
  // stop at the first evaluation after the budget: the progress callback sees each step
  const r = await (async () => {
    try {
      return await train(cfg, {
        out,
        onProgress: (p) => {
          if ((Date.now() - t0) / 1000 > o.seconds && stopAt === Infinity) stopAt = p.step;
          if (p.step >= stopAt) throw new Budget();
        },
      });
    } catch (e) {
      if (e instanceof Budget) return null;
      throw e;
    }
  })();
  const lines: MetricsLine[] = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  rmSync(out, { recursive: true, force: true });
  const points = lines.filter((l) => l.eval_error_cm !== undefined).map((l) => [l.time_s, l.eval_error_cm!] as [number, number]);
  return { points, steps: lines.at(-1)!.step, backend: r?.backend ?? 'wasm' };
}

class Budget extends Error {}

function errorAt(points: [number, number][], t: number): number | null {
  let best: number | null = null;
  for (const [s, e] of points) if (s <= t) best = e;
  return best;
}

export async function benchHessianFree(o: HfBenchOptions = { seconds: 150, hidden: 100, timeSteps: 100, batch: 64 }): Promise<{ rows: Row[]; series: Series[]; summary: string }> {
  const adam = await runFor('adam', o);
  const hf = await runFor('hf', o);
  const marks = [o.seconds / 8, o.seconds / 4, o.seconds / 2, o.seconds];
  const rows: Row[] = [];
  for (const [name, r] of [['adam', adam], ['hf', hf]] as const) {
    const row: Row = { case: `N ${o.hidden}, T ${o.timeSteps}, batch ${o.batch}, speed+direction`, backend: r.backend, optimizer: name, steps: r.steps };
    for (const t of marks) row[`error_cm@${t.toFixed(0)}s`] = errorAt(r.points, t);
    rows.push(row);
  }
  const a = errorAt(adam.points, o.seconds)!;
  const h = errorAt(hf.points, o.seconds)!;
  const summary = `after ${o.seconds} s: Adam ${a.toFixed(2)} cm, Hessian-free ${h.toFixed(2)} cm held-out error; ` +
    (h < a ? `Hessian-free is ahead by ${(a - h).toFixed(2)} cm (${((1 - h / a) * 100).toFixed(0)}% lower)` : `Adam is ahead by ${(h - a).toFixed(2)} cm (${((1 - a / h) * 100).toFixed(0)}% lower)`);
  return {
    rows,
    series: [{ name: 'Adam', points: adam.points, colour: '#1f77b4' }, { name: 'Hessian-free', points: hf.points, colour: '#d62728' }],
    summary,
  };
}

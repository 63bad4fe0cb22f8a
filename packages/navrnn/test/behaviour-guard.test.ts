/**
 * Behaviour guard: short seeded runs of both networks, on the fast and the reference kernels, with
 * Adam and with Hessian-free, give exactly the recorded metrics (every field but the wall clock) and
 * byte-identical final weights, and their analysis gives the recorded scores. The records in
 * fixtures/behaviour/ were written by this test before the code was reorganised; any change that
 * moves a number, however slightly, fails here.
 *
 * To re-record after an intended change of behaviour: GRIDCELLS_RECORD_GUARD=1 npx vitest run behaviour-guard
 */
import { describe, it, expect } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeParams, latestCheckpoint, loadRunCheckpoint, parseConfig, train, type ConfigInput } from '@gridcells/navrnn';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'behaviour');
const RECORD = process.env.GRIDCELLS_RECORD_GUARD === '1';

const cueva = (backend: string, optimizer: string): ConfigInput => ({
  seed: 11, backend: backend as ConfigInput['backend'],
  model: { hidden: 12, noiseStd: 0.1, lambdaRates: 0.01 },
  train: { steps: 6, batch: 5, timeSteps: 15, optimizer: optimizer as 'adam', evalEvery: 3, evalBatch: 4, checkpointEvery: 3, hf: { maxCgIterations: 5 } },
});
const placecell = (backend: string): ConfigInput => ({
  seed: 5, backend: backend as ConfigInput['backend'], network: 'placecell', arena: { kind: 'square', side: 2.2 }, trajectory: { kind: 'sorscher' },
  encoding: 'velocity', model: { hidden: 16 }, placeCells: { count: 24 },
  train: { steps: 6, batch: 6, timeSteps: 8, lr: 1e-2, clip: null, evalEvery: 3, evalBatch: 6, checkpointEvery: 3 },
});

const CASES: [string, ConfigInput][] = [
  ['cueva-wasm-adam', cueva('wasm', 'adam')],
  ['cueva-js-adam', cueva('js', 'adam')],
  ['cueva-autograd-sgd', cueva('autograd', 'sgd')],
  ['cueva-gpujs-cpu-adam', cueva('gpujs-cpu', 'adam')],
  ['cueva-wasm-hf', cueva('wasm', 'hf')],
  ['cueva-js-hf', cueva('js', 'hf')],
  ['placecell-wasm-adam', placecell('wasm')],
  ['placecell-js-adam', placecell('js')],
];

/** metrics.jsonl without the wall-clock field, which is the one thing a rerun may change. */
function metricsWithoutTime(run: string): string {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
    .map((l) => { const { time_s: _t, ...rest } = JSON.parse(l); return JSON.stringify(rest); }).join('\n') + '\n';
}

describe('behaviour guard: recorded runs repeat exactly', () => {
  for (const [name, input] of CASES) {
    it(`${name}: metrics, final weights and analysis equal the record`, async () => {
      const cfg = parseConfig(input);
      const run = join(mkdtempSync(join(tmpdir(), 'guard-')), 'run');
      await train(cfg, { out: run });
      const ck = latestCheckpoint(run)!;
      const { params } = loadRunCheckpoint(cfg, ck);
      // the place-cell network's 180 samples of 0.02 s are too few for shuffles of at least 20 s
      const a = await analyzeParams(cfg, params, { trials: 6, timeSteps: 30, bins: 10, shuffles: cfg.network === 'placecell' ? 0 : 5, threads: 1 });
      const got: Record<string, Buffer | string> = {
        'metrics.jsonl': metricsWithoutTime(run),
        'analysis.json': JSON.stringify({ counts: a.counts, significantCounts: a.significantCounts, units: a.units }, null, 1) + '\n',
      };
      for (const f of readdirSync(ck).filter((f) => f.endsWith('.npy'))) got[f] = readFileSync(join(ck, f));
      const dir = join(FIXTURES, name);
      if (RECORD) {
        mkdirSync(dir, { recursive: true });
        for (const [f, v] of Object.entries(got)) writeFileSync(join(dir, f), v);
      }
      expect(existsSync(dir), `no record for ${name}: run with GRIDCELLS_RECORD_GUARD=1 once`).toBe(true);
      expect(readdirSync(dir).sort()).toEqual(Object.keys(got).sort());
      const differing = Object.entries(got).filter(([f, v]) => !Buffer.from(v).equals(readFileSync(join(dir, f)))).map(([f]) => f);
      expect(differing, `${name}: these files differ from the record`).toEqual([]);
    });
  }
});

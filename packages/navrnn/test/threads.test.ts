/**
 * Data-parallel training steps: a batch's loss and gradient are summed chunk by chunk in a fixed
 * order, so a seed gives bit-identical metrics and weights on 1, 2 or 3 threads (odd batch sizes,
 * both networks, Adam and Hessian-free); the chunked sums equal the one-pass sums to rounding.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@gridcells/tensor';
import {
  CUEVA_DEFAULTS, CuevaNetwork, ThreadPool, chunked, generateTrajectories, localRunner, makeArena, networkFor, parseConfig, runStreams, train, wasmKernels,
  type ConfigInput,
} from '@gridcells/navrnn';
import { runRecord, worstRel } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'threads-'));

const cueva = (optimizer: 'adam' | 'hf'): ConfigInput => ({
  seed: 2, backend: 'wasm', model: { hidden: 12, noiseStd: 0.1 },
  train: { steps: 4, batch: 23, timeSteps: 12, chunkTrials: 5, optimizer, evalEvery: 2, evalBatch: 4, checkpointEvery: 4, hf: { maxCgIterations: 4, curvatureFraction: 0.5 } },
});
const placecell: ConfigInput = {
  seed: 3, backend: 'wasm', network: 'placecell', arena: { kind: 'square', side: 2.2 }, trajectory: { kind: 'sorscher' }, encoding: 'velocity',
  model: { hidden: 16 }, placeCells: { count: 20 }, train: { steps: 4, batch: 19, timeSteps: 6, chunkTrials: 4, clip: null, evalEvery: 2, evalBatch: 4, checkpointEvery: 4 },
};

describe('data-parallel training steps', () => {
  for (const [name, input] of [['CuevaRNN, Adam', cueva('adam')], ['CuevaRNN, Hessian-free', cueva('hf')],
    ['CuevaRNN starting anywhere, Hessian-free', { ...cueva('hf'), trajectory: { kind: 'cueva', start: 'uniform' } }], ['PlaceCellRNN, Adam', placecell]] as const) {
    it(`${name}: 1, 2 and 3 threads give bit-identical runs on an odd batch`, async () => {
      const runs = [];
      for (const threads of [1, 2, 3]) {
        const cfg = parseConfig({ ...input, train: { ...input.train, threads } });
        const out = join(tmp(), `t${threads}`);
        await train(cfg, { out });
        runs.push(runRecord(out));
      }
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[2]).toEqual(runs[0]);
    }, 60_000);
  }

  it('a worker thread that fails ends the job with its message, even when it counted itself done before this thread waited', async () => {
    const cfg = parseConfig({ ...placecell, train: { ...placecell.train, threads: 2 } });
    const network = networkFor(cfg, 'wasm');
    const streams = runStreams(cfg.seed);
    const w = network.init(streams.init);
    const batch = network.trainingBatch(generateTrajectories(makeArena(cfg.arena), cfg.trajectory, 4, 3, cfg.encoding, streams.data), streams.data);
    const pool = new ThreadPool(cfg, 'wasm', 2);
    try {
      // a Gauss-Newton product, which the PlaceCellRNN has not: its one chunk throws in the worker,
      // which takes it while this thread is busy, so the worker has counted itself done before this
      // thread looks
      const job = { kind: 'curvature' as const, weights: w, batch, chunks: [[0, 4]] as [number, number][], wholeBatch: 4, v: Object.values(w), structural: 0 };
      const busy = () => {
        const until = Date.now() + 300;
        while (Date.now() < until);
      };
      expect(() => pool.run(network.trials!, job, busy)).toThrow(/^worker thread: .*curvaturePartial/);
    } finally {
      await pool.close();
    }
  });

  it('the chunked loss and gradient equal the one-pass ones to float32 rounding', async () => {
    const model = { hidden: 20, nInputs: 2, alpha: 0.1, noiseStd: 0.1, lambdaWeights: 0.01, lambdaRates: 0.05, init: 'orthogonal' as const, initGain: 1 };
    const net = new CuevaNetwork(model, { kind: 'fused', kernels: wasmKernels()! });
    const rng = new Rng(5);
    const w = net.init(rng);
    w.wOut.data.forEach((_, i) => (w.wOut.data[i] = 0.3 * (rng.uniform() - 0.5)));
    const batch = net.trainingBatch(generateTrajectories(makeArena({ kind: 'square', side: 1 }), CUEVA_DEFAULTS, 37, 30, 'speed-direction', rng), rng);
    const whole = await net.lossAndGradient(w, batch);
    const parts = await chunked(net, localRunner, 6).lossAndGradient(w, batch);
    expect(Math.abs(parts.loss - whole.loss) / whole.loss).toBeLessThan(1e-5);
    expect(worstRel(parts.grads, whole.grads)).toBeLessThan(1e-5);
  });
});

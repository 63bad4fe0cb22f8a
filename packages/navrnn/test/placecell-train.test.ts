/**
 * Training and analysing a PlaceCellRNN through the same run machinery as the CuevaRNN: it learns
 * (decoded error well below answering the centre, on the plain code, which is learned fastest), a killed and resumed run equals an uninterrupted
 * one (metrics and W_enc/W_rec/W_in/W_out byte-equal), and the analysis scores its ReLU units
 * without the tanh shift.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, train, analyzeParams, untrainedParams, longPathError, ConfigError, type MetricsLine, type ConfigInput } from '@gridcells/navrnn';

const tmp = () => mkdtempSync(join(tmpdir(), 'placecell-'));

const small = (over: Partial<ConfigInput['train']> = {}) => parseConfig({
  network: 'placecell', arena: { kind: 'square', side: 2.2 }, trajectory: { kind: 'sorscher' }, encoding: 'velocity', backend: 'wasm',
  model: { hidden: 24 }, placeCells: { count: 32 },
  train: { steps: 12, batch: 8, timeSteps: 10, lr: 3e-3, clip: null, evalEvery: 4, evalBatch: 16, checkpointEvery: 4, ...over },
});

const metrics = (dir: string): Omit<MetricsLine, 'time_s'>[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { time_s: _t, ...rest } = JSON.parse(l);
    return rest;
  });

describe('PlaceCellRNN training', () => {
  it('learns to path-integrate: decoded error ends well below answering the centre', async () => {
    const cfg = parseConfig({ ...small({ steps: 600, batch: 32, timeSteps: 20, evalEvery: 200, checkpointEvery: 600, evalBatch: 64 }), model: { hidden: 64 }, placeCells: { count: 64, surround: 0 } });
    const r = await train(cfg, { out: join(tmp(), 'learn') });
    expect(r.backend).toBe('wasm');
    expect(r.evalErrorCm).toBeLessThan(0.6 * r.centreErrorCm);
  }, 120_000);

  it('a run killed mid-way and resumed equals one that was not', async () => {
    const cfg = small();
    const straight = join(tmp(), 'straight');
    const killed = join(tmp(), 'killed');
    await train(cfg, { out: straight });
    await train(cfg, { out: killed, stopAfter: 5 });
    await train(cfg, { out: killed, resume: true });
    expect(metrics(killed)).toEqual(metrics(straight));
    for (const f of ['W_enc.npy', 'W_rec.npy', 'W_in.npy', 'W_out.npy']) {
      expect(readFileSync(join(killed, 'checkpoints', 'step-00000012', f))).toEqual(readFileSync(join(straight, 'checkpoints', 'step-00000012', f)));
    }
  }, 60_000);

  it('refuses backends and optimizers it does not have, naming them', async () => {
    await expect(train(parseConfig({ ...small(), backend: 'webgpu' }), { out: join(tmp(), 'x') })).rejects.toThrow(/placecell|webgpu/);
    await expect(train(parseConfig({ ...small(), train: { ...small().train, optimizer: 'hf' } }), { out: join(tmp(), 'y') })).rejects.toThrow(ConfigError);
  });

  it('analysis: ReLU rate maps scored as they are (non-negative, no shift), long paths decoded', async () => {
    const cfg = small();
    const a = await analyzeParams(cfg, untrainedParams(cfg), { trials: 300, shuffles: 3 });
    expect(a.units).toHaveLength(24);
    expect(a.burnIn).toBe(0);
    for (const m of a.maps) for (const v of m.data) if (Number.isFinite(v)) expect(v).toBeGreaterThanOrEqual(0);
    const lp = longPathError(cfg, untrainedParams(cfg), 10, 4);
    expect(lp.steps).toBe(100);
    expect(lp.overTime.every(([, e]) => e >= 0 && e < 400)).toBe(true);
  });
});

/**
 * The CuevaRNN's gradients are right (checkGrads: reverse mode, forward mode and finite
 * differences agree), training learns (held-out error well below the best constant answer), and
 * runs are reproducible and resumable exactly.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, normal, zeros } from '@gridcells/tensor';
import { checkGrads, type Var } from '@gridcells/autograd';
import { parseNpy } from '@gridcells/gridscore';
import {
  cuevaLoss, rollout, initParams, makeArena, generateTrajectories, CUEVA_DEFAULTS, drawNoise, toBatch, positionError,
  presetConfig, train, configHash, networkFor, checkTrainable, evaluate, loadRun, latestCheckpoint, TrainingError, CheckpointError, RunFolderError, ConfigError, parseConfig, type CuevaModelConfig, type MetricsLine,
} from '@gridcells/navrnn';

const tmp = () => mkdtempSync(join(tmpdir(), 'navrnn-'));

function smallModel(N: number, nIn: number): CuevaModelConfig {
  return { hidden: N, nInputs: nIn, alpha: 0.1, noiseStd: 0.1, lambdaWeights: 0.01, lambdaRates: 0.05, init: 'orthogonal', initGain: 1 };
}

describe('CuevaRNN loss', () => {
  it('passes checkGrads for every weight, with noise, weight and metabolic costs (random N, T, batch)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), fc.nat(), (N, T, B, seed) => {
      const cfg = smallModel(N, 2);
      const rng = new Rng(seed);
      const tr = generateTrajectories(makeArena({ kind: 'square', side: 1 }), CUEVA_DEFAULTS, B, T, 'speed-direction', rng);
      const data = toBatch(tr, drawNoise(rng, T, B, N, cfg.noiseStd));
      const p = initParams(cfg, rng, 'float64');
      // W_out and b start at zero; perturb them so every term is exercised
      const args = [p.wRec, p.wIn, normal(rng, [N], 0, 0.3, 'float64'), normal(rng, [N, 2], 0, 0.3, 'float64')];
      const r = checkGrads((a: Var, b: Var, c: Var, d: Var) => cuevaLoss(cfg, a, b, c, d, data, 'float64').total, args, { directions: 2 });
      expect(r.ok, r.message).toBe(true);
    }), { numRuns: 12 });
  });

  it('rollout computes the same estimates as the loss (its MSE term matches)', () => {
    const cfg = { ...smallModel(8, 2), noiseStd: 0 };
    const rng = new Rng(3);
    const tr = generateTrajectories(makeArena({ kind: 'square', side: 1 }), CUEVA_DEFAULTS, 4, 30, 'speed-direction', rng);
    const data = toBatch(tr, null);
    const p = initParams(cfg, rng);
    p.wOut = normal(rng, [8, 2], 0, 0.5);
    const loss = cuevaLoss(cfg, p.wRec, p.wIn, p.b, p.wOut, data);
    const r = rollout(cfg, p, data.inputs, 30, 4);
    let se = 0;
    for (let k = 0; k < r.estimates.length; k++) se += (r.estimates[k] - data.targets[k]) ** 2;
    expect(se / r.estimates.length).toBeCloseTo(loss.mse.item(), 6);
  });
});

describe('training', () => {
  it('the quick preset learns: held-out error ends well below answering the arena centre', async () => {
    const out = join(tmp(), 'run');
    const r = await train(presetConfig('quick'), { out });
    console.log(`quick preset: held-out error ${r.evalErrorCm.toFixed(2)} cm vs centre ${r.centreErrorCm.toFixed(2)} cm after ${r.step} steps, ${r.seconds.toFixed(1)} s (${r.backend})`);
    expect(r.evalErrorCm).toBeLessThan(0.5 * r.centreErrorCm);
    expect(existsSync(join(out, 'config.json'))).toBe(true);
    expect(readdirSync(join(out, 'checkpoints'))).toEqual(expect.arrayContaining(['latest', 'step-00000300']));
  });

  it('Hessian-free training learns the quick task in 30 outer steps', async () => {
    const cfg = presetConfig('quick', { train: { steps: 30, optimizer: 'hf', evalEvery: 30, checkpointEvery: 30 } });
    const out = join(tmp(), 'hf');
    const r = await train(cfg, { out });
    console.log(`hf, 30 steps: held-out error ${r.evalErrorCm.toFixed(2)} cm vs centre ${r.centreErrorCm.toFixed(2)} cm, ${r.seconds.toFixed(1)} s (${r.backend})`);
    expect(r.evalErrorCm).toBeLessThan(0.6 * r.centreErrorCm);
    // the metrics say what HF did: damping, reduction ratio, CG iterations and the line-search rate
    const last = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!);
    expect(last).toHaveProperty('hf_damping');
    expect(last.hf_cg_iterations).toBeGreaterThan(0);
  });

  const tiny = () => presetConfig('quick', { model: { hidden: 8, noiseStd: 0.05 }, train: { steps: 12, batch: 4, timeSteps: 10, evalEvery: 3, checkpointEvery: 4, evalBatch: 8 } });
  const metrics = (dir: string): Omit<MetricsLine, 'time_s'>[] =>
    readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
      const { time_s: _t, ...rest } = JSON.parse(l);
      return rest;
    });

  it('the same seed gives identical metrics; a different seed does not', async () => {
    const a = join(tmp(), 'a');
    const b = join(tmp(), 'b');
    const c = join(tmp(), 'c');
    await train(tiny(), { out: a });
    await train(tiny(), { out: b });
    await train(presetConfig('quick', { ...tiny(), seed: 1 }), { out: c });
    expect(metrics(a)).toEqual(metrics(b));
    expect(metrics(a)).not.toEqual(metrics(c));
  });

  it.each(['adam', 'hf'] as const)('a run killed mid-way and resumed gives the same metrics and weights as one that was not (%s)', async (optimizer) => {
    const straight = join(tmp(), 'straight');
    const killed = join(tmp(), 'killed');
    const cfg = presetConfig('quick', { ...tiny(), train: { ...tiny().train, optimizer, hf: { maxCgIterations: 5 } } });
    await train(cfg, { out: straight });
    await train(cfg, { out: killed, stopAfter: 10 }); // dies after step 10; last checkpoint at step 8
    expect(readFileSync(join(killed, 'checkpoints', 'latest'), 'utf8').trim()).toBe('step-00000008');
    await train(cfg, { out: killed, resume: true });
    expect(metrics(killed)).toEqual(metrics(straight));
    for (const f of ['W_rec.npy', 'W_in.npy', 'b.npy', 'W_out.npy']) {
      expect(readFileSync(join(killed, 'checkpoints', 'step-00000012', f))).toEqual(readFileSync(join(straight, 'checkpoints', 'step-00000012', f)));
    }
  });

  // gpu.js kernels draw the noise themselves from a seed taken from the run's data stream each step
  // (counter-noise.ts); runs on them must still repeat exactly and resume exactly
  it('on gpu.js kernels (noise drawn by the kernels) the same seed repeats, a killed run resumes exactly, and the noise is applied', async () => {
    const cfg = presetConfig('quick', { ...tiny(), backend: 'gpujs-cpu', train: { ...tiny().train, steps: 8, checkpointEvery: 2 } });
    const [a, b, killed, quiet] = ['a', 'b', 'killed', 'quiet'].map((d) => join(tmp(), d));
    await train(cfg, { out: a });
    await train(cfg, { out: b });
    expect(metrics(a)).toEqual(metrics(b));
    await train(cfg, { out: killed, stopAfter: 5 });
    await train(cfg, { out: killed, resume: true });
    expect(metrics(killed)).toEqual(metrics(a));
    await train(presetConfig('quick', { ...cfg, model: { ...cfg.model, noiseStd: 0 } }), { out: quiet });
    expect(metrics(quiet)[1].loss).not.toBe(metrics(a)[1].loss);
  }, 120_000);

  it('a diverging run stops with a message naming the step, and keeps its last good checkpoint', async () => {
    const out = join(tmp(), 'diverge');
    const cfg = presetConfig('quick', { ...tiny(), train: { ...tiny().train, optimizer: 'sgd', lr: 1e30, clip: null, momentum: 0, checkpointEvery: 1 } });
    let err: unknown;
    try {
      await train(cfg, { out });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as Error).message).toMatch(/^step \d+: the (loss|gradient) is (NaN|Infinity|-Infinity); training stopped\. The last good checkpoint is .*step-\d+\./);
    const last = latestCheckpoint(out)!;
    const step = Number(/step (\d+)/.exec((err as Error).message)![1]);
    expect(last.endsWith(`step-${String(step - 1).padStart(8, '0')}`)).toBe(true);
    for (const f of ['W_rec.npy', 'W_in.npy', 'b.npy', 'W_out.npy']) {
      expect(Array.from(parseNpy(readFileSync(join(last, f))).data).every(Number.isFinite), f).toBe(true);
    }
  });

  it('refuses to start over a run and to resume a corrupted checkpoint, changing nothing; a resume with nothing to resume starts the run', async () => {
    const out = join(tmp(), 'guarded');
    await train(tiny(), { out, stopAfter: 4 });
    const before = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    await expect(train(tiny(), { out })).rejects.toThrow(RunFolderError);
    const notes: string[] = [];
    const fresh = await train(tiny(), { out: join(tmp(), 'empty'), resume: true, notify: (m) => notes.push(m) });
    expect(fresh.step).toBe(tiny().train.steps); // nothing to resume: the run starts, and says so
    expect(notes.join('\n')).toMatch(/no completed checkpoint to resume from; starting over from step 0/);
    writeFileSync(join(out, 'checkpoints', 'step-00000004', 'W_rec.npy'), 'garbage');
    await expect(train(tiny(), { out, resume: true })).rejects.toThrow(CheckpointError);
    await expect(train(tiny(), { out, resume: true })).rejects.toThrow(/W_rec.npy: not a .npy file/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
  });
});

describe('recycled training batches', () => {
  it('a batch drawn into a recycled batch\'s noise array equals one drawn fresh, and reuses that array; another size gets a new one', () => {
    const cfg = parseConfig({ backend: 'wasm', model: { hidden: 8, noiseStd: 0.1 } });
    const arena = makeArena(cfg.arena);
    const drawn = (recycling: boolean, batches: number[]) => {
      const net = networkFor(cfg, 'wasm');
      const rng = new Rng(4);
      return batches.map((B) => {
        const b = net.trainingBatch(generateTrajectories(arena, cfg.trajectory, B, 20, cfg.encoding, rng), rng);
        const { noise } = b as { noise: Float32Array };
        const drawnValues = Array.from(noise); // a recycled array is overwritten by the next draw
        if (recycling) net.recycle?.(b);
        return { noise, drawnValues };
      });
    };
    const sizes = [6, 6, 6, 5];
    const fresh = drawn(false, sizes);
    const reused = drawn(true, sizes);
    reused.forEach((b, i) => expect(b.drawnValues).toEqual(fresh[i].drawnValues));
    expect(reused[1].noise).toBe(reused[0].noise);
    expect(reused[2].noise).toBe(reused[0].noise);
    expect(reused[3].noise).not.toBe(reused[0].noise);
    expect(fresh[1].noise).not.toBe(fresh[0].noise);
  });
});

describe('backend and optimizer pairs', () => {
  it('Hessian-free on gpu.js kernels is refused as a config error before the run folder is made', async () => {
    const out = join(tmp(), 'run');
    const cfg = parseConfig({ backend: 'gpujs-cpu', model: { hidden: 4 }, train: { steps: 2, batch: 2, timeSteps: 3, optimizer: 'hf' } });
    await expect(train(cfg, { out })).rejects.toThrow(ConfigError);
    await expect(train(cfg, { out })).rejects.toThrow(/optimizer hf .* use backend wasm or js, not gpujs-cpu/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('evaluation helpers', () => {
  it('positionError is the mean Euclidean distance (cm) to the positions after each step, and to the centre', () => {
    // one step of two trials: starts (0, 0) and (1, 1), positions after the step (0.03, 0.04) and (0, 0)
    const tr = { batch: 2, steps: 1, positions: Float64Array.from([0, 0, 1, 1, 0.03, 0.04, 0, 0]) } as Parameters<typeof positionError>[1];
    const e = positionError(Float64Array.from([0, 0, 0, 0]), tr);
    expect(e.errorCm).toBeCloseTo(2.5, 10);
    expect(e.centreCm).toBeCloseTo(2.5, 10);
    expect(positionError(Float64Array.from([0.03, 0.04, 0.3, 0.4]), tr).errorCm).toBeCloseTo(25, 10);
  });
});

describe('model.activation', () => {
  it('tanh, the default, leaves the config hash of runs started before the option existed as it was (recorded then); another activation changes it', () => {
    // configHash of these presets as the code before model.activation computed them
    expect(configHash(presetConfig('quick'))).toBe('d1b388d889f5fd66');
    expect(configHash(presetConfig('cueva-square'))).toBe('1ff8e1653976dbbb');
    expect(configHash(presetConfig('quick', { model: { activation: 'relu' } }))).not.toBe('d1b388d889f5fd66');
  });

  it('relu and rectified tanh units are non-negative rates, scored as such; the gpu.js kernels and the PlaceCellRNN refuse them', async () => {
    for (const activation of ['relu', 'rectified-tanh'] as const) {
      const cfg = presetConfig('quick', { model: { activation, hidden: 8 }, train: { steps: 3, timeSteps: 20, batch: 4 } });
      const net = networkFor(cfg, 'js');
      expect(net.signedRates).toBe(false);
      const { rates } = net.run(net.init(new Rng(1)), generateTrajectories(makeArena(cfg.arena), cfg.trajectory, 3, 20, cfg.encoding, new Rng(2)));
      expect(Math.min(...rates)).toBeGreaterThanOrEqual(0);
      expect(() => checkTrainable(cfg, 'gpujs-cpu')).toThrow(/model.activation .* tanh units only/);
    }
    const pc = parseConfig({ network: 'placecell', arena: { kind: 'square', side: 2.2 }, trajectory: { kind: 'sorscher' }, model: { activation: 'relu' } });
    expect(() => checkTrainable(pc, 'wasm')).toThrow(/PlaceCellRNN's units are ReLU/);
  });
});

describe('trajectory.start uniform: trials start anywhere and the CuevaRNN is told where', () => {
  it('passes checkGrads for every weight, the start encoder W_start included (random N, T, batch)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), fc.nat(), (N, T, B, seed) => {
      const cfg = { ...smallModel(N, 2), startEncoder: true };
      const rng = new Rng(seed);
      const tr = generateTrajectories(makeArena({ kind: 'square', side: 1 }), { ...CUEVA_DEFAULTS, start: 'uniform' }, B, T, 'speed-direction', rng);
      const data = toBatch(tr, drawNoise(rng, T, B, N, cfg.noiseStd));
      const p = initParams(cfg, rng, 'float64');
      const args = [p.wRec, p.wIn, normal(rng, [N], 0, 0.3, 'float64'), normal(rng, [N, 2], 0, 0.3, 'float64'), p.wStart!];
      const r = checkGrads((a: Var, b: Var, c: Var, d: Var, e: Var) => cuevaLoss(cfg, a, b, c, d, data, 'float64', e).total, args, { directions: 2 });
      expect(r.ok, r.message).toBe(true);
    }), { numRuns: 12 });
  });

  it('the quick task from anywhere is learned, through the start: error well below the centre answer, and much worse with W_start zeroed', async () => {
    const cfg = presetConfig('quick', { trajectory: { kind: 'cueva', start: 'uniform' } });
    const out = join(tmp(), 'uniform');
    const r = await train(cfg, { out });
    const net = networkFor(cfg, 'wasm');
    expect(net.startsAtCentre).toBe(false);
    const { params } = loadRun(out);
    const tr = generateTrajectories(makeArena(cfg.arena), cfg.trajectory, 64, cfg.train.timeSteps, cfg.encoding, new Rng(77));
    // the trajectories start anywhere, not at the centre
    expect(Math.max(...Array.from(tr.positions.subarray(0, 128), Math.abs))).toBeGreaterThan(0.3);
    const told = evaluate(net, params, tr).errorCm;
    const untold = evaluate(net, { ...params, wStart: zeros(params.wStart.shape) }, tr).errorCm;
    console.log(`start uniform, quick: held-out ${r.evalErrorCm.toFixed(2)} cm vs centre ${r.centreErrorCm.toFixed(2)} cm; W_start zeroed: ${untold.toFixed(2)} cm`);
    expect(r.evalErrorCm).toBeLessThan(0.5 * r.centreErrorCm);
    expect(untold).toBeGreaterThan(1.5 * told);
  });

  it('centre, the default, leaves the config hash as it was; uniform changes it; the gpu.js kernels refuse it', () => {
    expect(configHash(presetConfig('quick', { trajectory: { kind: 'cueva', start: 'centre' } }))).toBe('d1b388d889f5fd66');
    const uniform = presetConfig('quick', { trajectory: { kind: 'cueva', start: 'uniform' } });
    expect(configHash(uniform)).not.toBe('d1b388d889f5fd66');
    expect(() => checkTrainable(uniform, 'gpujs-cpu')).toThrow(/trajectory.start uniform runs on the fused kernels/);
    expect(() => parseConfig({ trajectory: { kind: 'cueva', start: 'corner' } })).toThrow(/trajectory.start/);
  });
});

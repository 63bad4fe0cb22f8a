/**
 * The `gridcells` CLI: help for every command, one-line errors with a non-zero exit for bad input,
 * nothing overwritten, and train -> eval on a small run. Runs the built CLI (npm test builds it).
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAP_COLUMNS, SESSION_COLUMNS, parseNpy } from '@gridcells/gridscore';
import { parseConfig, placeCellsOf, probeWebGpuQuietly } from '@gridcells/navrnn';
import { CLI, dir, oneLineError, run } from './cli-helpers.js';

const adapter = await probeWebGpuQuietly();

describe('gridcells CLI', () => {
  it('prints help for the program and each command', () => {
    for (const args of [['--help'], ['train', '--help'], ['eval', '--help']]) {
      const r = run(...args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Usage: gridcells/);
    }
  });

  it('trains a small run, then evaluates its checkpoint on fresh trajectories', () => {
    const out = join(dir(), 'run');
    const cfg = join(dir(), 'small.json');
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 8 }, train: { steps: 6, batch: 4, timeSteps: 10, evalEvery: 3, checkpointEvery: 3, evalBatch: 8 } }));
    const t = run('train', '--config', cfg, '--out', out, '--seed', '4');
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/step 6: held-out position error [\d.]+ cm \(always answering the centre: [\d.]+ cm\); [\d.]+ s on the (wasm|js) backend/);
    expect(t.stderr).toMatch(/step 6\/6 .* steps\/s/); // plain progress lines when not on a terminal
    const e = run('eval', out, '--trials', '16', '--time-steps', '40');
    expect(e.status, e.stderr).toBe(0);
    const res = JSON.parse(e.stdout);
    expect(res).toMatchObject({ step: 6, trials: 16, time_steps: 40, backend: 'wasm' });
    expect(res.error_cm).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(saved.seed).toBe(4);
    expect(saved.resolved.backend).toBe('wasm');
  });

  it('--optimizer hf trains with Hessian-free and records it', () => {
    const out = join(dir(), 'hf');
    const cfg = join(dir(), 'small.json');
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 8 }, train: { steps: 3, batch: 4, timeSteps: 10, checkpointEvery: 3, evalBatch: 8, hf: { maxCgIterations: 5 } } }));
    const t = run('train', '--config', cfg, '--out', out, '--optimizer', 'hf');
    expect(t.status, t.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).train.optimizer).toBe('hf');
    const last = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!);
    expect(last.hf_cg_iterations).toBeGreaterThan(0);
  });

  it('an unknown preset: one-line error, exit 2', () => {
    oneLineError(run('train', '--preset', 'cueva-moon', '--out', join(dir(), 'x')), /unknown preset 'cueva-moon' \(have: cueva-square, cueva-triangle, cueva-hexagon, placecell, sorscher-square, quick\)/);
  });

  it('a negative batch size in a config file names the field and the range', () => {
    const cfg = join(dir(), 'bad.json');
    writeFileSync(cfg, JSON.stringify({ train: { batch: -8 } }));
    oneLineError(run('train', '--config', cfg, '--out', join(dir(), 'x')), /invalid config: train\.batch: must be >= 1 \(got -8\)/);
  });

  it('an unknown field is refused, not ignored', () => {
    const cfg = join(dir(), 'typo.json');
    writeFileSync(cfg, JSON.stringify({ modle: { hidden: 8 } }));
    oneLineError(run('train', '--config', cfg, '--out', join(dir(), 'x')), /invalid config: .*modle/);
  });

  it('a corrupted or missing checkpoint: one-line error, exit 2, the run folder unchanged', () => {
    const out = join(dir(), 'run');
    const cfg = join(dir(), 'small.json');
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 8 }, train: { steps: 3, batch: 2, timeSteps: 5, checkpointEvery: 3, evalBatch: 4 } }));
    expect(run('train', '--config', cfg, '--out', out).status).toBe(0);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    writeFileSync(join(out, 'checkpoints', 'step-00000003', 'state.json'), '{"step": 3,');
    oneLineError(run('train', '--out', out, '--resume', '--steps', '6'), /checkpoint .*state\.json: not valid JSON/);
    oneLineError(run('eval', out), /state\.json: not valid JSON/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    oneLineError(run('eval', join(dir(), 'nothing')), /the run config .*config\.json does not exist/);
    oneLineError(run('train', '--out', out, '--config', cfg), /already holds a run: --resume continues it/);
  });
});

describe('gridcells analyze', () => {
  // a run trained on a GPU machine is evaluated and analysed where no GPU answers: only the
  // training needs the GPU. Dawn finds no adapter when the Vulkan loader finds no driver.
  const gpuTraining = Boolean(process.env.CI) || adapter.available;
  it.skipIf(!gpuTraining)('analyses and evaluates a run trained on webgpu on a machine without a GPU adapter (CPU kernels)', () => {
    const out = join(dir(), 'run');
    const cfg = join(dir(), 'small.json');
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 6 }, train: { steps: 2, batch: 4, timeSteps: 20, checkpointEvery: 2, evalBatch: 4 } }));
    const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
    const trained = spawnSync(process.execPath, [CLI, 'train', '--config', cfg, '--backend', 'webgpu', '--out', out], { encoding: 'utf8', env });
    expect(trained.status, trained.stderr).toBe(0);
    const noGpu = { ...env, VK_DRIVER_FILES: '/nonexistent.json', VK_ICD_FILENAMES: '/nonexistent.json' };
    const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: noGpu });
    const training = cli('train', '--config', cfg, '--backend', 'webgpu', '--out', join(dir(), 'again'));
    expect(training.stderr).toMatch(/backend webgpu: no WebGPU adapter answered/);
    const e = cli('eval', out, '--trials', '4');
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).backend).toMatch(/^(wasm|js)$/);
    const a = cli('analyze', out, '--trials', '20', '--burn-in', '2', '--long-factor', '2');
    expect(a.status, a.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'analysis', 'summary.json'), 'utf8')).backend).toMatch(/^(wasm|js)$/);
  }, 120_000);

  it('writes scores.csv (one row per unit, the gridscore columns), rate maps as .npy and a summary against the untrained network', () => {
    const out = join(dir(), 'run');
    const cfg = join(dir(), 'small.json');
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 6 }, train: { steps: 4, batch: 4, timeSteps: 30, checkpointEvery: 4, evalBatch: 4 } }));
    expect(run('train', '--config', cfg, '--out', out).status).toBe(0);
    const r = run('analyze', out, '--trials', '40', '--burn-in', '5');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained \(step 4\)\s+\d+\s+\d+\s+\d+\s+\d+/);
    expect(r.stdout).toMatch(/untrained \(step 0\)/);
    expect(r.stdout).toMatch(/trained, significant\s+\d+\s+\d+\s+\d+\s+\d+/);
    const lines = readFileSync(join(out, 'scores.csv'), 'utf8').trim().split('\n');
    const head = lines[0].split(',');
    expect(head).toEqual([...MAP_COLUMNS, ...SESSION_COLUMNS]);
    expect(lines).toHaveLength(7);
    for (const l of lines.slice(1)) {
      const cells = l.split(',');
      expect(cells[head.indexOf('class')]).toMatch(/^(grid|border|band|irregular)$/);
      expect(cells[head.indexOf('significant_class')]).toMatch(/^(grid|border|band|irregular)$/);
      for (const p of ['grid_pct', 'border_pct', 'band_pct', 'spatial_info_pct', 'hd_pct', 'speed_pct']) {
        const v = cells[head.indexOf(p)];
        if (v !== 'nan') expect(Number(v)).toBeGreaterThanOrEqual(0), expect(Number(v)).toBeLessThanOrEqual(100);
      }
    }
    const maps = parseNpy(readFileSync(join(out, 'analysis', 'rate_maps.npy')));
    expect(maps.shape).toEqual([6, 20, 20]);
    const summary = JSON.parse(readFileSync(join(out, 'analysis', 'summary.json'), 'utf8'));
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(total(summary.counts)).toBe(6);
    expect(total(summary.untrained_counts)).toBe(6);
    expect(total(summary.significant_counts)).toBe(6);
    expect(total(summary.untrained_significant_counts)).toBe(6);
    expect(summary.shuffles).toBe(100);
  });

  it('a run kept for re-analysis (weights only: no state.json, no metrics) is analysed to the same counts', () => {
    const out = join(dir(), 'kept');
    const cfg = join(dir(), 'small.json');
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 6 }, train: { steps: 4, batch: 4, timeSteps: 30, checkpointEvery: 2, evalBatch: 4 } }));
    expect(run('train', '--config', cfg, '--out', out).status).toBe(0);
    const args = ['analyze', out, '--trials', '40', '--shuffles', '10'];
    expect(run(...args).status).toBe(0);
    const before = JSON.parse(readFileSync(join(out, 'analysis', 'summary.json'), 'utf8'));
    for (const step of ['step-00000000', 'step-00000002', 'step-00000004']) rmSync(join(out, 'checkpoints', step, 'state.json'));
    rmSync(join(out, 'metrics.jsonl'));
    const r = run(...args);
    expect(r.status, r.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(out, 'analysis', 'summary.json'), 'utf8'));
    for (const k of ['counts', 'significant_counts', 'untrained_counts', 'development']) expect(after[k], k).toEqual(before[k]);
  });

  it('runs the PlaceCellRNN end to end: train, eval (decoded error), analyze with W_enc in the checkpoints', () => {
    const out = join(dir(), 'pc');
    const cfg = join(dir(), 'pc.json');
    writeFileSync(cfg, JSON.stringify({
      network: 'placecell', arena: { kind: 'square', side: 2.2 }, trajectory: { kind: 'sorscher' }, encoding: 'velocity',
      model: { hidden: 8 }, placeCells: { count: 16 }, train: { steps: 4, batch: 4, timeSteps: 10, checkpointEvery: 2, evalBatch: 4, clip: null },
    }));
    const t = run('train', '--config', cfg, '--out', out);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/step 4: held-out position error [\d.]+ cm/);
    expect(parseNpy(readFileSync(join(out, 'checkpoints', 'step-00000004', 'W_enc.npy'))).shape).toEqual([16, 8]);
    const e = run('eval', out, '--trials', '8');
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ step: 4, trials: 8, time_steps: 10 });
    // a run keeps its untrained weights and its place cells for any later analysis
    expect(parseNpy(readFileSync(join(out, 'checkpoints', 'step-00000000', 'W_enc.npy'))).shape).toEqual([16, 8]);
    const centres = parseNpy(readFileSync(join(out, 'place_cells.npy')));
    expect(centres.shape).toEqual([16, 2]);
    expect(Array.from(centres.data)).toEqual(Array.from(placeCellsOf(parseConfig(JSON.parse(readFileSync(cfg, 'utf8')))).centres));
    const r = run('analyze', out, '--trials', '300', '--shuffles', '5');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/units by class \(8 units/);
    expect(readFileSync(join(out, 'scores.csv'), 'utf8').trim().split('\n')).toHaveLength(9);
  });
});

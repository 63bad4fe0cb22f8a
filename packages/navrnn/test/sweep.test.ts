/**
 * `gridcells sweep` and `collect`: a spec becomes one ordinary run per point and seed; a sweep
 * killed mid-way and run again ends with the same runs, bit for bit, as one never stopped; the
 * Slurm executor's job array runs the same command per point, and (where a Slurm cluster is up:
 * CI starts one) gives the same runs as the local executor.
 */
import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CLI, dir, oneLineError, run } from './cli-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
/** The sweep that the kill-and-resume test ran and collected. */
let collected = '';

/** Two points of a tiny CuevaRNN, one seed. */
const SPEC = {
  base: { preset: 'quick', model: { hidden: 6 }, train: { steps: 12, batch: 4, timeSteps: 30, evalEvery: 4, evalBatch: 4, checkpointEvery: 2 } },
  axes: { 'model.noiseStd': [0.05, 0.2] },
  seeds: [3],
};
const NAMES = ['noiseStd0.05_seed3', 'noiseStd0.2_seed3'];

function specFile(spec: unknown = SPEC): string {
  const f = join(dir(), 'spec.json');
  writeFileSync(f, JSON.stringify(spec));
  return f;
}

/** What must be equal between two runs of a point: metrics without wall time, the final weights, the analysis counts. */
function fingerprint(sweep: string, name: string): Record<string, string> {
  const runDir = join(sweep, 'runs', name);
  const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
    .map((l) => { const { time_s: _t, ...rest } = JSON.parse(l); return JSON.stringify(rest); }).join('\n');
  const last = join(runDir, 'checkpoints', readFileSync(join(runDir, 'checkpoints', 'latest'), 'utf8').trim());
  const out: Record<string, string> = { metrics };
  for (const f of readdirSync(last).filter((f) => f.endsWith('.npy'))) out[f] = readFileSync(join(last, f)).toString('base64');
  const { counts, significant_counts } = JSON.parse(readFileSync(join(runDir, 'analysis', 'summary.json'), 'utf8'));
  out.counts = JSON.stringify({ counts, significant_counts });
  return out;
}

describe('gridcells sweep', () => {
  it('refuses a bad spec with one line naming the file, the point and the field', () => {
    const out = join(dir(), 'sw');
    oneLineError(run('sweep', specFile({ ...SPEC, axes: { 'model.noiseStdd': [0.1] } }), '--out', out), /spec\.json: point noiseStdd0\.1_seed3: .*model.*noiseStdd/);
    oneLineError(run('sweep', specFile({ ...SPEC, points: [{}] }), '--out', out), /give either axes .* or points/);
    oneLineError(run('sweep', specFile({ ...SPEC, seeds: [-1] }), '--out', out), /seeds must be a list of integers >= 0/);
    oneLineError(run('sweep', specFile({ ...SPEC, base: { preset: 'nope' } }), '--out', out), /unknown preset 'nope'/);
  });

  it('a sweep killed mid-way and run again ends with the same runs as one never stopped; collect tabulates them', async () => {
    const spec = specFile();
    const whole = join(dir(), 'whole');
    const r = run('sweep', spec, '--out', whole, '--workers', '2');
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(whole, 'runs')).sort()).toEqual(NAMES);

    const cut = join(dir(), 'cut');
    // the sweep and its runs in one process group, killed together once a run has a checkpoint but no analysis
    const child = spawn(process.execPath, [CLI, 'sweep', spec, '--out', cut, '--workers', '1'], { detached: true, stdio: 'ignore' });
    const started = Date.now();
    while (Date.now() - started < 60_000) {
      const r0 = join(cut, 'runs', NAMES[0]);
      if (existsSync(join(r0, 'checkpoints', 'latest')) && !existsSync(join(r0, 'analysis', 'summary.json'))) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((res) => child.once('exit', res));
    const status = run('sweep', 'status', cut);
    expect(status.stdout).toMatch(/0 done, 1 partial, 1 pending of 2|0 done, 2 partial|1 done, 1 partial/);
    const again = run('sweep', spec, '--out', cut);
    expect(again.status, again.stderr).toBe(0);
    for (const name of NAMES) expect(fingerprint(cut, name), name).toEqual(fingerprint(whole, name));

    const c = run('collect', whole);
    expect(c.status, c.stderr).toBe(0);
    const [head, ...rows] = readFileSync(join(whole, 'sweep.csv'), 'utf8').trim().split('\n');
    expect(head.split(',').slice(0, 5)).toEqual(['name', 'model.noiseStd', 'seed', 'error_cm', 'long_path_error_cm']);
    expect(rows.map((l) => l.split(',')[0])).toEqual(NAMES);
    expect(existsSync(join(whole, 'report.html'))).toBe(true);
    // the report's figures as files too, for documents to show
    expect(readdirSync(join(whole, 'figures')).sort()).toEqual(['error-model-noiseStd.svg', 'units-model-noiseStd.svg']);
    collected = whole;
  }, 240_000);

  it.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('its report loads in headless Chromium with every figure rendered and a row per point', async () => {
    expect(collected).not.toBe('');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(collected, 'report.html')}`);
      const images = await page.$$eval('img', (xs) => xs.map((i) => i.complete && i.naturalWidth > 0));
      // one axis: units against it, and the error against it
      expect(images).toEqual([true, true]);
      const rows = await page.$$eval('tr td:first-child', (xs) => xs.map((x) => x.textContent));
      expect(rows).toEqual(NAMES);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('a sweep of listed points is collected as one bar per point, not as means along axes that mix unlike points', () => {
    const out = join(dir(), 'pts');
    const spec = { base: SPEC.base, points: [{ 'model.noiseStd': 0.1 }, { 'model.noiseStd': 0.3, 'model.lambdaRates': 0 }], seeds: [3] };
    expect(run('sweep', specFile(spec), '--out', out).status).toBe(0);
    // a figure of an earlier collect that this one does not draw is removed
    mkdirSync(join(out, 'figures'));
    writeFileSync(join(out, 'figures', 'units-model-noiseStd.svg'), '<svg/>');
    const c = run('collect', out);
    expect(c.status, c.stderr).toBe(0);
    expect(readdirSync(join(out, 'figures'))).toEqual(['units-per-point.svg']);
    const svg = readFileSync(join(out, 'figures', 'units-per-point.svg'), 'utf8');
    for (const name of ['noiseStd0.1_seed3', 'noiseStd0.3_lambdaRates0_seed3']) expect(svg).toContain(`>${name}</text>`);
  }, 120_000);

  it('the Slurm executor writes one array task per point not yet done, with the #SBATCH lines asked for', () => {
    const out = join(dir(), 'sl');
    const r = run('sweep', specFile(), '--out', out, '--executor', 'slurm', '--dry-run', '--partition', 'short', '--time', '0:30:00', '--mem', '2G', '--threads', '2', '--parallel', '1');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    for (const l of ['#SBATCH --array=0-1%1', '#SBATCH --cpus-per-task=2', '#SBATCH --partition=short', '#SBATCH --time=0:30:00', '#SBATCH --mem=2G', '#SBATCH --requeue']) expect(lines).toContain(l);
    expect(r.stdout).toContain(`points=('${NAMES[0]}' '${NAMES[1]}')`);
    expect(r.stdout).toMatch(/"run" "--config" ".*\/configs\/\$\{name\}\.json" "--out" ".*\/runs\/\$\{name\}" "--resume" "--threads" "\$\{SLURM_CPUS_PER_TASK:-2\}"/);
  });

  const slurm = spawnSync('sinfo', ['-h'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!slurm)('on a real Slurm cluster (CI starts one): every run of a 4-point sweep equals the same point run by the local executor', async () => {
    const spec = specFile({ ...SPEC, axes: { ...SPEC.axes, 'model.lambdaRates': [0.001, 0.01] } });
    const names = ['noiseStd0.05_lambdaRates0.001_seed3', 'noiseStd0.05_lambdaRates0.01_seed3', 'noiseStd0.2_lambdaRates0.001_seed3', 'noiseStd0.2_lambdaRates0.01_seed3'];
    const local = join(dir(), 'local');
    expect(run('sweep', spec, '--out', local).status).toBe(0);
    const onSlurm = join(dir(), 'slurm');
    const r = run('sweep', spec, '--out', onSlurm, '--executor', 'slurm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/submitted job \d+: 4 tasks/);
    const started = Date.now();
    while (!run('sweep', 'status', onSlurm).stdout.includes('4 done') && Date.now() - started < 300_000) await new Promise((res) => setTimeout(res, 1000));
    expect(readdirSync(join(onSlurm, 'runs')).sort()).toEqual(names);
    for (const name of names) expect(fingerprint(onSlurm, name), name).toEqual(fingerprint(local, name));
  }, 420_000);
});

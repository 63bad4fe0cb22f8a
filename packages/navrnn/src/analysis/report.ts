/**
 * report.html: one self-contained page (figures inlined; copies in `figures/` beside it) with what
 * a run shows: training curves, every unit's rate map grouped by class, autocorrelograms of the
 * best grid-scoring units, score histograms with their thresholds, counts per class against the
 * untrained network, development curves over checkpoints, speed and direction tuning by class,
 * position error on paths 100x longer than training and against wall encounters, and the config,
 * backend, seed, machine and wall time.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { autocorrelogram, mosaicPng, CELL_CLASSES, DEFAULT_THRESHOLDS, type CellClass } from '@gridcells/gridscore';
import { esc, histogram, lineChart } from './svg.js';
import { writeAtomic } from '../run/files.js';
import { readMetrics } from '../run/folder.js';
import { unitLabel, type Analysis } from './analyze.js';
import type { LongPathError } from './long-path.js';

/** What a report shows: the run, its analysis (trained and untrained), development and long paths. */
export interface ReportInputs {
  runDir: string;
  config: Record<string, unknown>;
  trained: Analysis;
  untrained: Analysis;
  development: { step: number; counts: Record<CellClass, number> }[];
  longPath: LongPathError;
  step: number;
}

/** Each class's colour in every figure (reports and sweep reports). */
export const CLASS_COLOURS: Record<CellClass, string> = { grid: '#d62728', border: '#1f77b4', band: '#2ca02c', irregular: '#7f7f7f' };

/** Writes RUN/report.html and RUN/figures/; returns the report's path. */
export function writeReport(r: ReportInputs): string {
  const figDir = join(r.runDir, 'figures');
  mkdirSync(figDir, { recursive: true });
  const figures: { name: string; caption: string; mime: string; bytes: Uint8Array | string }[] = [];
  const add = (name: string, caption: string, bytes: Uint8Array | string) => {
    writeAtomic(join(figDir, name), bytes);
    figures.push({ name, caption, mime: name.endsWith('.svg') ? 'image/svg+xml' : 'image/png', bytes });
  };

  const metrics = readMetrics(join(r.runDir, 'metrics.jsonl'));
  const train = metrics.filter((m) => m.rmse_cm !== undefined).map((m) => [m.step, m.rmse_cm!] as [number, number]);
  const held = metrics.filter((m) => m.eval_error_cm !== undefined).map((m) => [m.step, m.eval_error_cm!] as [number, number]);
  const centre = metrics.find((m) => m.centre_error_cm !== undefined)?.centre_error_cm;
  add('training.svg', 'Training: RMS position error on each training batch (CuevaRNN), and mean error on the held-out trials (PlaceCellRNN: decoded from the three most active place cells).',
    lineChart('position error during training', 'training step', 'error (cm)', [
      { name: 'training batch (RMS)', points: train, colour: '#9ecae1' },
      { name: 'held-out (mean)', points: held, colour: '#08519c' },
      ...(centre !== undefined && held.length ? [{ name: 'answering the centre', points: [[0, centre], [held.at(-1)![0], centre]] as [number, number][], colour: '#aaaaaa' }] : []),
    ]));

  const losses = metrics.filter((m) => m.loss !== undefined).map((m) => [m.step, m.loss!] as [number, number]);
  add('loss.svg', 'Training loss on each batch (the objective the optimizer minimises, costs included).',
    lineChart('training loss', 'training step', 'loss', [{ name: 'loss', points: losses, colour: '#08519c' }]));

  const t = r.trained;
  const order = [...t.units].sort((a, b) => CELL_CLASSES.indexOf(a.class) - CELL_CLASSES.indexOf(b.class) || b.score60 - a.score60);
  add('rate_maps.png', 'Rate maps of every unit (viridis, each tile scaled to its own range; white: unvisited), grouped by class and sorted by grid score.',
    mosaicPng(order.map((u) => t.maps[u.unit]), { labels: order.map(unitLabel) }));
  const best = [...t.units].filter((u) => Number.isFinite(u.score60)).sort((a, b) => b.score60 - a.score60).slice(0, 10);
  add('sac_best.png', 'Spatial autocorrelograms of the ten units with the highest grid score (colour range -1 to 1). A grid cell shows a ring of six peaks.',
    mosaicPng(best.map((u) => {
      const sac = autocorrelogram(t.maps[u.unit]);
      return { data: sac.data, height: sac.height, width: sac.width };
    }), { labels: best.map(unitLabel), range: [-1, 1] }));
  const th = DEFAULT_THRESHOLDS;
  add('hist_score60.svg', `Grid scores (DeepMind, 60 degrees); a grid also needs a periodic autocorrelogram.`, histogram('grid score (60 degrees)', 'score60', t.units.map((u) => u.score60), -1.5, 2.5, th.grid60));
  add('hist_border.svg', 'Border scores (Solstad et al. 2008).', histogram('border score', 'border', t.units.map((u) => u.border), -1, 1, th.border));
  add('hist_band.svg', 'Band scores (share of variance of the best plane wave).', histogram('band score', 'band', t.units.map((u) => u.band), 0, 1, th.band));
  add('development.svg', 'Units of each class at every checkpoint (step 0: the untrained network).',
    lineChart('development over training', 'training step', 'units', CELL_CLASSES.map((c) => ({ name: c, points: r.development.map((d) => [d.step, d.counts[c]] as [number, number]), colour: CLASS_COLOURS[c] }))));
  add('long_path.svg', `Mean position error along ${r.longPath.trials} paths of ${r.longPath.steps} steps (${Math.round(r.longPath.steps / Number((r.config.train as { timeSteps: number }).timeSteps))}x the training length).`,
    lineChart('error on long paths', 'step', 'error (cm)', [{ name: 'mean error', points: r.longPath.overTime, colour: '#08519c' }]));
  const byHits = [...r.longPath.byBoundary].sort((a, b) => a[0] - b[0]);
  add('boundary.svg', 'Each long path\'s mean error against the number of wall encounters on it.',
    lineChart('error against wall encounters', 'wall encounters on the path', 'mean error (cm)', [{ name: 'paths (sorted)', points: byHits, colour: '#d62728' }]));

  const emergence = CELL_CLASSES.filter((c) => c !== 'irregular').map((c) => {
    const base = r.development[0]?.counts[c] ?? 0;
    const first = r.development.find((d) => d.step > 0 && d.counts[c] > base);
    return `<tr><td>${c}</td><td>${base}</td><td>${first ? `step ${first.step} (${first.counts[c]} units)` : 'never above the untrained count'}</td></tr>`;
  });
  const tuningRows = CELL_CLASSES.map((c) => {
    const us = t.units.filter((u) => u.class === c);
    const mean = (f: (u: (typeof us)[number]) => number) => {
      const v = us.map(f).filter(Number.isFinite);
      return v.length ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3) : '-';
    };
    const examples = us.slice(0, 3).map((u) => `unit ${u.unit}: speed ${u.speedScore.toFixed(2)}, HD ${u.hdLength.toFixed(2)} at ${u.hdDirection.toFixed(0)}°`).join('; ');
    return `<tr><td>${c}</td><td>${us.length}</td><td>${mean((u) => Math.abs(u.speedScore))}</td><td>${mean((u) => u.hdLength)}</td><td>${esc(examples) || '-'}</td></tr>`;
  });
  const countRow = (name: string, c: Record<CellClass, number>, f?: Analysis['flagCounts']) =>
    `<tr><td>${esc(name)}</td>${CELL_CLASSES.map((k) => `<td>${c[k]}</td>`).join('')}${f ? `<td>${f.placeLike}</td><td>${f.hdTuned}</td><td>${f.speedTuned}</td>` : '<td></td><td></td><td></td>'}</tr>`;
  const resolved = (r.config.resolved ?? {}) as Record<string, unknown>;
  const wall = metrics.at(-1)?.time_s;
  const img = (f: (typeof figures)[number]) =>
    `<figure><img alt="${esc(f.name)}" src="data:${f.mime};base64,${Buffer.from(f.bytes).toString('base64')}"><figcaption>${esc(f.caption)} <a href="figures/${f.name}">${f.name}</a></figcaption></figure>`;
  const fig = (name: string) => img(figures.find((f) => f.name === name)!);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gridcells report: ${esc(r.runDir)}</title>
<style>body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}
table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}figcaption{font-size:90%;color:#555}
.row{display:flex;flex-wrap:wrap;gap:1em}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:85%}</style></head><body>
<h1>gridcells report</h1>
<p>Run <code>${esc(r.runDir)}</code>, checkpoint at step ${r.step}. Backend <b>${esc(String(resolved.backend ?? '?'))}</b>, seed ${esc(String(r.config.seed))},
machine ${esc(String(resolved.machine ?? '?'))}, Node ${esc(String(resolved.node ?? '?'))}, started ${esc(String(resolved.started ?? '?'))}, training wall time ${wall !== undefined ? `${wall.toFixed(0)} s` : '?'}.</p>
<h2>Training</h2>${fig('loss.svg')}${fig('training.svg')}
<h2>Cell types</h2>
<table><tr><th></th>${CELL_CLASSES.map((c) => `<th>${c}</th>`).join('')}<th>place-like</th><th>HD-tuned</th><th>speed-tuned</th></tr>
${countRow(`trained (step ${r.step}), thresholds`, t.counts)}${countRow('trained, thresholds and significant', t.significantCounts, t.flagCounts)}
${countRow('untrained (step 0, the null), thresholds', r.untrained.counts)}${countRow('untrained, thresholds and significant', r.untrained.significantCounts, r.untrained.flagCounts)}</table>
<p>Thresholds (gridscore defaults): grid: a lattice in the autocorrelogram and score60 &gt; ${th.grid60} (hexagonal) or score90 &gt; ${th.grid90} (square);
border &gt; ${th.border}; band &gt; ${th.band}. Significant: the score is also above the ${t.percentile}th percentile of ${t.shuffles} shuffles of the unit
(its activity shifted circularly against the positions by at least ${t.minShift} samples). A unit passing several tests has the first of grid, border, band as its class.
Rate maps: ${t.maps.length} units, ${t.trials} fresh trajectories of ${t.timeSteps} steps${t.burnIn ? `, the first ${t.burnIn} steps of each left out` : ''}.
Analysis: ${t.seconds.toFixed(0)} s (trained) and ${r.untrained.seconds.toFixed(0)} s (untrained) on ${t.threads} threads.</p>
${fig('rate_maps.png')}${fig('sac_best.png')}
<div class="row">${fig('hist_score60.svg')}${fig('hist_border.svg')}${fig('hist_band.svg')}</div>
<h2>Development</h2>${fig('development.svg')}
<table><tr><th>class</th><th>untrained</th><th>first checkpoint above the untrained count</th></tr>${emergence.join('')}</table>
<h2>Speed and direction tuning</h2>
<table><tr><th>class</th><th>units</th><th>mean |speed score|</th><th>mean HD resultant length</th><th>examples</th></tr>${tuningRows.join('')}</table>
<h2>Long paths</h2><div class="row">${fig('long_path.svg')}${fig('boundary.svg')}</div>
<h2>Config</h2><pre>${esc(JSON.stringify(r.config, null, 2))}</pre>
</body></html>
`;
  const out = join(r.runDir, 'report.html');
  writeAtomic(out, html);
  return out;
}

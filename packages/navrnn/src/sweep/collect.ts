/**
 * `gridcells collect SWEEP`: one table of a sweep's finished points (sweep.csv) and its figures
 * (counts and error against each axis; heat maps of the counts and the error where the sweep has
 * two axes) in a report, each figure also as SWEEP/figures/NAME.svg for documents to show.
 *
 * sweep.csv, one row per point: name, each axis's value, seed, final held-out error (cm), the
 * long-path error (mean over the last window of the long paths, cm), the counts per class on
 * thresholds and with significance, the untrained network's counts, training and analysis wall
 * time (s).
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../run/files.js';
import { readMetrics } from '../run/folder.js';
import { esc, lineChart, type Series } from '../analysis/svg.js';
import { CLASS_COLOURS } from '../analysis/report.js';
import { CELL_CLASSES } from '@gridcells/gridscore';
import { readPoints, runOf, pointStatus, type PointEntry } from './folder.js';
import { readJsonFile } from '../run/load.js';


/** One finished point's numbers. */
export interface PointResult extends PointEntry {
  errorCm: number;
  longPathCm: number;
  counts: Record<string, number>;
  significant: Record<string, number>;
  untrained: Record<string, number>;
  untrainedSignificant: Record<string, number>;
  trainSeconds: number;
  analysisSeconds: number;
}

function result(sweep: string, p: PointEntry): PointResult {
  const run = runOf(sweep, p.name);
  const summary = JSON.parse(readFileSync(join(run, 'analysis', 'summary.json'), 'utf8'));
  const metrics = readMetrics(join(run, 'metrics.jsonl'));
  const evals = metrics.filter((m) => typeof m.eval_error_cm === 'number');
  const lastWindow = summary.long_path?.overTime?.at(-1);
  return {
    ...p,
    errorCm: evals.at(-1)?.eval_error_cm ?? NaN,
    longPathCm: lastWindow ? lastWindow[1] : NaN,
    counts: summary.counts, significant: summary.significant_counts,
    untrained: summary.untrained_counts, untrainedSignificant: summary.untrained_significant_counts,
    trainSeconds: metrics.at(-1)?.time_s ?? NaN,
    analysisSeconds: (summary.analysis_seconds?.trained ?? NaN) + (summary.analysis_seconds?.untrained ?? NaN),
  };
}

const num = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : 'nan');

/** Writes SWEEP/sweep.csv and SWEEP/report.html from the finished points; returns the results and how many are not finished. */
export function collectSweep(sweep: string): { results: PointResult[]; unfinished: number; csv: string; report: string } {
  const points = readPoints(sweep);
  const finished = points.filter((p) => pointStatus(sweep, p.name) === 'done');
  const results = finished.map((p) => result(sweep, p));
  const axes = [...new Set(points.flatMap((p) => Object.keys(p.params)))];
  const head = ['name', ...axes, 'seed', 'error_cm', 'long_path_error_cm',
    ...CELL_CLASSES.map((c) => c), ...CELL_CLASSES.map((c) => `${c}_significant`), ...CELL_CLASSES.map((c) => `untrained_${c}`), ...CELL_CLASSES.map((c) => `untrained_${c}_significant`),
    'train_s', 'analysis_s'];
  const rows = results.map((r) => [
    r.name, ...axes.map((a) => JSON.stringify(r.params[a] ?? '')), r.seed, num(r.errorCm), num(r.longPathCm),
    ...CELL_CLASSES.map((c) => r.counts[c]), ...CELL_CLASSES.map((c) => r.significant[c]), ...CELL_CLASSES.map((c) => r.untrained[c]), ...CELL_CLASSES.map((c) => r.untrainedSignificant[c]),
    num(r.trainSeconds), num(r.analysisSeconds),
  ].join(','));
  const csv = join(sweep, 'sweep.csv');
  writeAtomic(csv, [head.join(','), ...rows].join('\n') + '\n');
  const report = join(sweep, 'report.html');
  const spec = readJsonFile(join(sweep, 'spec.json'), 'the sweep spec') as { axes?: unknown };
  const shown = spec.axes === undefined ? [{ name: 'units-per-point', svg: unitsPerPoint(results) }] : figures(results, axes);
  const dir = join(sweep, 'figures');
  mkdirSync(dir, { recursive: true });
  // figures of an earlier collect that this one does not draw would be out of date
  for (const old of readdirSync(dir)) if (old.endsWith('.svg') && !shown.some((f) => `${f.name}.svg` === old)) rmSync(join(dir, old));
  for (const f of shown) writeAtomic(join(dir, `${f.name}.svg`), f.svg);
  writeAtomic(report, html(sweep, results, shown, points.length));
  return { results, unfinished: points.length - finished.length, csv, report };
}

/** The mean of `f` over the results at each value of an axis (numeric axes only), as chart points. */
function byAxis(results: PointResult[], axis: string, f: (r: PointResult) => number): [number, number][] {
  const groups = new Map<number, number[]>();
  for (const r of results) {
    const x = Number(r.params[axis]);
    if (!Number.isFinite(x)) continue;
    groups.set(x, [...(groups.get(x) ?? []), f(r)]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([x, ys]) => [x, ys.reduce((s, y) => s + y, 0) / ys.length]);
}

/**
 * An SVG heat map of the mean of `f` over seeds at each pair of values of two axes, shaded by it;
 * `untrained` (optional): the same number for the untrained network, in brackets in each cell.
 */
function heatMap(results: PointResult[], ax: string, ay: string, title: string, f: (r: PointResult) => number, untrained?: (r: PointResult) => number): string {
  const xs = [...new Set(results.map((r) => JSON.stringify(r.params[ax])))];
  const ys = [...new Set(results.map((r) => JSON.stringify(r.params[ay])))];
  const cell = 70;
  const [left, top] = [120, 40];
  const mean = (x: string, y: string, g: (r: PointResult) => number) => {
    const v = results.filter((r) => JSON.stringify(r.params[ax]) === x && JSON.stringify(r.params[ay]) === y).map(g);
    return v.length ? v.reduce((s, a) => s + a, 0) / v.length : NaN;
  };
  const value = (x: string, y: string) => mean(x, y, f);
  const label = (x: string, y: string) => {
    const v = value(x, y);
    if (!Number.isFinite(v)) return '-';
    return untrained ? `${v.toFixed(1)} (${mean(x, y, untrained).toFixed(1)})` : v.toFixed(1);
  };
  const max = Math.max(1, ...xs.flatMap((x) => ys.map((y) => value(x, y))).filter(Number.isFinite));
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${left + cell * xs.length + 20}" height="${top + cell * ys.length + 50}" font-family="sans-serif" font-size="12">`,
    `<text x="${left}" y="20">${esc(title)}</text>`];
  ys.forEach((y, j) => {
    parts.push(`<text x="${left - 6}" y="${top + j * cell + cell / 2}" text-anchor="end">${esc(`${ay}=${y}`)}</text>`);
    xs.forEach((x, i) => {
      const v = value(x, y);
      const shade = Number.isFinite(v) ? Math.round(255 - (200 * Math.max(0, v)) / max) : 240;
      parts.push(`<rect x="${left + i * cell}" y="${top + j * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#999"/>`,
        `<text x="${left + i * cell + cell / 2}" y="${top + j * cell + cell / 2 + 4}" text-anchor="middle">${label(x, y)}</text>`);
    });
  });
  xs.forEach((x, i) => parts.push(`<text x="${left + i * cell + cell / 2}" y="${top + ys.length * cell + 18}" text-anchor="middle">${esc(x)}</text>`));
  parts.push(`<text x="${left + (xs.length * cell) / 2}" y="${top + ys.length * cell + 40}" text-anchor="middle">${esc(ax)}</text>`, '</svg>');
  return parts.join('\n');
}

/**
 * A sweep given as a list of points (whose values do not form a grid, so means along an axis would
 * mix unlike points): each point's significant grid, border and band units as stacked bars, the
 * untrained network's below each in grey.
 */
function unitsPerPoint(results: PointResult[]): string {
  const classes = CELL_CLASSES.filter((c) => c !== 'irregular');
  const [left, top, row, bar, width] = [560, 40, 34, 12, 300];
  const total = (c: Record<string, number>) => classes.reduce((s, k) => s + c[k], 0);
  const max = Math.max(1, ...results.flatMap((r) => [total(r.significant), total(r.untrainedSignificant)]));
  const x = (v: number) => (width * v) / max;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 60}" height="${top + row * results.length + 40}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="20">significant units of each point (${classes.join(', ')}); grey: the untrained network's</text>`];
  results.forEach((r, i) => {
    const y = top + i * row;
    parts.push(`<text x="${left - 6}" y="${y + bar}" text-anchor="end">${esc(r.name)}</text>`);
    let at = 0;
    for (const c of classes) {
      parts.push(`<rect x="${left + x(at)}" y="${y}" width="${x(r.significant[c])}" height="${bar}" fill="${CLASS_COLOURS[c]}"/>`);
      at += r.significant[c];
    }
    parts.push(`<text x="${left + x(at) + 4}" y="${y + bar - 1}">${classes.map((c) => r.significant[c]).join(' / ')}</text>`,
      `<rect x="${left}" y="${y + bar + 2}" width="${x(total(r.untrainedSignificant))}" height="${bar / 2}" fill="#bbbbbb"/>`);
  });
  parts.push(`<text x="${left}" y="${top + row * results.length + 20}">units (of each network's ${results[0] ? total(results[0].significant) + results[0].significant.irregular : 0})</text>`, '</svg>');
  return parts.join('\n');
}

/** The sweep's figures, each with a file name: counts and error against each numeric axis, heat maps for two axes. */
function figures(results: PointResult[], axes: string[]): { name: string; svg: string }[] {
  const out: { name: string; svg: string }[] = [];
  const slug = (axis: string) => axis.replace(/[^A-Za-z0-9]+/g, '-');
  for (const axis of axes) {
    const series: Series[] = CELL_CLASSES.filter((c) => c !== 'irregular').flatMap((c) => [
      { name: `${c} (significant)`, points: byAxis(results, axis, (r) => r.significant[c]), colour: CLASS_COLOURS[c] },
      { name: `${c}, untrained`, points: byAxis(results, axis, (r) => r.untrainedSignificant[c]), colour: '#bbbbbb' },
    ]);
    if (series.some((s) => s.points.length)) out.push({ name: `units-${slug(axis)}`, svg: lineChart(`units against ${axis}`, axis, 'units (mean over points)', series) });
    const err = byAxis(results, axis, (r) => r.errorCm);
    if (err.length) out.push({ name: `error-${slug(axis)}`, svg: lineChart(`held-out error against ${axis}`, axis, 'error (cm)', [{ name: 'error', points: err, colour: '#d62728' }]) });
  }
  if (axes.length === 2 && results.length) {
    const spatial = (c: Record<string, number>) => c.grid + c.border + c.band;
    out.push({ name: 'heatmap-units', svg: heatMap(results, axes[0], axes[1], 'significant grid + border + band units, trained (untrained), mean over seeds', (r) => spatial(r.significant), (r) => spatial(r.untrainedSignificant)) });
    out.push({ name: 'heatmap-error', svg: heatMap(results, axes[0], axes[1], 'held-out position error, cm (mean over seeds)', (r) => r.errorCm) });
  }
  return out;
}

function html(sweep: string, results: PointResult[], shown: { name: string; svg: string }[], total: number): string {
  const img = ({ name, svg }: { name: string; svg: string }) => `<figure><img alt="${esc(name)}" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}"></figure>`;
  const rows = results.map((r) => `<tr><td><a href="runs/${esc(r.name)}/report.html">${esc(r.name)}</a></td><td>${num(r.errorCm)}</td>${CELL_CLASSES.map((c) => `<td>${r.counts[c]} / ${r.significant[c]} / ${r.untrainedSignificant[c]}</td>`).join('')}</tr>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gridcells sweep: ${esc(sweep)}</title>
<style>body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}</style></head><body>
<h1>gridcells sweep</h1>
<p>${results.length} of ${total} points finished. Counts per class: on thresholds / with significance (above the 99th percentile of each unit's shuffles) / the untrained network with significance.</p>
${shown.map(img).join('\n')}
<table><tr><th>point</th><th>error (cm)</th>${CELL_CLASSES.map((c) => `<th>${c}</th>`).join('')}</tr>${rows.join('')}</table>
</body></html>
`;
}

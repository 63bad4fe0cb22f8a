/**
 * Small SVG charts for reports and benchmarks (no dependencies, so a report opens offline):
 * line charts of (x, y) series and histograms with threshold markers.
 */
export interface Series {
  name: string;
  points: [number, number][];
  colour: string;
}

/** Escapes text for SVG and HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An SVG line chart of one or more series (x, y pairs), with axes and a legend. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], width = 640, height = 400): string {
  const m = { left: 60, right: 150, top: 40, bottom: 50 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = [0, Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys) * 1.05 || 1];
  const X = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  const Y = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
  const ticks = (a: number, b: number) => Array.from({ length: 6 }, (_, i) => a + ((b - a) * i) / 5);
  const fmt = (v: number) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${m.left}" y1="${height - m.bottom}" x2="${width - m.right}" y2="${height - m.bottom}" stroke="black"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${height - m.bottom}" stroke="black"/>`,
    ...ticks(x0, x1).map((t) => `<text x="${X(t)}" y="${height - m.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`),
    ...ticks(y0, y1).map((t) => `<text x="${m.left - 6}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`),
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  series.forEach((s, i) => {
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')}"/>`);
    parts.push(`<line x1="${width - m.right + 10}" y1="${m.top + 10 + i * 18}" x2="${width - m.right + 30}" y2="${m.top + 10 + i * 18}" stroke="${s.colour}" stroke-width="2"/>`);
    parts.push(`<text x="${width - m.right + 35}" y="${m.top + 14 + i * 18}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/**
 * A histogram of `values` (NaN left out) in `bins` equal bins over [lo, hi], with a dashed line at
 * `threshold` (the classification threshold), as SVG.
 */
export function histogram(title: string, xLabel: string, values: number[], lo: number, hi: number, threshold: number | null, bins = 20, width = 420, height = 280): string {
  const m = { left: 45, right: 15, top: 35, bottom: 45 };
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const k = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    counts[k]++;
  }
  const top = Math.max(1, ...counts);
  const X = (x: number) => m.left + ((x - lo) / (hi - lo)) * (width - m.left - m.right);
  const Y = (c: number) => height - m.bottom - (c / top) * (height - m.top - m.bottom);
  const bw = (width - m.left - m.right) / bins;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    ...counts.map((c, k) => `<rect x="${(m.left + k * bw + 1).toFixed(1)}" y="${Y(c).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(height - m.bottom - Y(c)).toFixed(1)}" fill="#4c78a8"/>`),
    `<line x1="${m.left}" y1="${height - m.bottom}" x2="${width - m.right}" y2="${height - m.bottom}" stroke="black"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${height - m.bottom}" stroke="black"/>`,
    ...[lo, (lo + hi) / 2, hi].map((t) => `<text x="${X(t)}" y="${height - m.bottom + 15}" text-anchor="middle">${t}</text>`),
    `<text x="${m.left - 5}" y="${m.top + 4}" text-anchor="end">${top}</text>`,
    `<text x="${m.left - 5}" y="${height - m.bottom}" text-anchor="end">0</text>`,
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
  ];
  if (threshold !== null) {
    parts.push(`<line x1="${X(threshold)}" y1="${m.top}" x2="${X(threshold)}" y2="${height - m.bottom}" stroke="#d62728" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${X(threshold) + 3}" y="${m.top + 10}" fill="#d62728">threshold ${threshold}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

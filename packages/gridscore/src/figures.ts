/**
 * PNG figures: a mosaic of rate maps (or autocorrelograms), one tile per unit, each scaled to its
 * own range with the perceptually uniform viridis colour map (d3-scale-chromatic), unvisited bins
 * white, and label lines under each tile (a label's lines are separated by '\n', e.g. "12 grid\n1.23").
 */
import { PNG } from 'pngjs';
import { interpolateViridis } from 'd3-scale-chromatic';
import { drawText, GLYPH_HEIGHT } from './font.js';
import type { RateMap } from './map.js';

/** Tile size, columns, labels and colour range of a PNG mosaic. */
export interface MosaicOptions {
  /** Pixels per bin (default: so a tile is about 100 pixels wide). */
  pixelsPerBin?: number;
  columns?: number;
  labels?: string[];
  /** Colour range per tile: 'own' (each tile's min..max) or a fixed [lo, hi]. */
  range?: 'own' | [number, number];
}

function rgb(css: string): [number, number, number] {
  // d3 returns "rgb(r, g, b)" or "#rrggbb"
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return [parseInt(css.slice(1, 3), 16), parseInt(css.slice(3, 5), 16), parseInt(css.slice(5, 7), 16)];
}

const VIRIDIS: [number, number, number][] = Array.from({ length: 256 }, (_, i) => rgb(interpolateViridis(i / 255)));

/** Encodes tiles as a PNG (bytes). */
export function mosaicPng(maps: RateMap[], opts: MosaicOptions = {}): Buffer {
  if (maps.length === 0) throw new Error('mosaicPng: no maps to draw');
  const maxSide = Math.max(...maps.map((m) => Math.max(m.width, m.height)));
  const ppb = opts.pixelsPerBin ?? Math.max(1, Math.round(100 / maxSide));
  const cols = opts.columns ?? Math.min(maps.length, 10);
  const rows = Math.ceil(maps.length / cols);
  const labelScale = 2;
  const lines = Math.max(0, ...(opts.labels ?? []).map((l) => l.split('\n').length));
  const labelH = lines * (GLYPH_HEIGHT + 2) * labelScale + 4;
  const pad = 6;
  const tileW = maxSide * ppb;
  const tileH = maxSide * ppb + labelH;
  const width = cols * (tileW + pad) + pad;
  const height = rows * (tileH + pad) + pad;
  const png = new PNG({ width, height });
  png.data.fill(255);
  const put = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const o = (y * width + x) * 4;
    png.data[o] = r;
    png.data[o + 1] = g;
    png.data[o + 2] = b;
    png.data[o + 3] = 255;
  };
  maps.forEach((m, u) => {
    const ox = pad + (u % cols) * (tileW + pad);
    const oy = pad + Math.floor(u / cols) * (tileH + pad);
    let lo = Infinity;
    let hi = -Infinity;
    if (opts.range && opts.range !== 'own') [lo, hi] = opts.range;
    else for (const v of m.data) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    for (let i = 0; i < m.height; i++) {
      for (let j = 0; j < m.width; j++) {
        const v = m.data[i * m.width + j];
        const colour: [number, number, number] = Number.isFinite(v)
          ? VIRIDIS[Math.max(0, Math.min(255, Math.round(hi > lo ? ((v - lo) / (hi - lo)) * 255 : 0)))]
          : [255, 255, 255];
        for (let dy = 0; dy < ppb; dy++) for (let dx = 0; dx < ppb; dx++) put(ox + j * ppb + dx, oy + i * ppb + dy, colour);
      }
    }
    const label = opts.labels?.[u];
    label?.split('\n').forEach((line, k) => {
      drawText(line, ox, oy + m.height * ppb + 4 + k * (GLYPH_HEIGHT + 2) * labelScale, labelScale, (x, y) => put(x, y, [0, 0, 0]));
    });
  });
  return PNG.sync.write(png);
}

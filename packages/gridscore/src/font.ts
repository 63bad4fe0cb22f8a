/**
 * A 3 x 5 pixel font for tile labels in PNG figures (digits, lower-case letters, a few signs).
 * Each glyph is 5 rows of 3 bits, most significant bit on the left.
 */
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 1, 1], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
  a: [0, 7, 1, 7, 7], b: [4, 4, 7, 5, 7], c: [0, 7, 4, 4, 7], d: [1, 1, 7, 5, 7], e: [0, 7, 7, 4, 7],
  f: [3, 4, 6, 4, 4], g: [7, 5, 7, 1, 7], h: [4, 4, 7, 5, 5], i: [2, 0, 2, 2, 2], j: [1, 0, 1, 5, 7],
  k: [4, 5, 6, 5, 5], l: [6, 2, 2, 2, 7], m: [0, 7, 7, 5, 5], n: [0, 6, 5, 5, 5], o: [0, 7, 5, 5, 7],
  p: [0, 7, 5, 7, 4], q: [0, 7, 5, 7, 1], r: [0, 7, 4, 4, 4], s: [0, 7, 6, 1, 7], t: [4, 7, 4, 4, 3],
  u: [0, 5, 5, 5, 7], v: [0, 5, 5, 5, 2], w: [0, 5, 7, 7, 7], x: [0, 5, 2, 2, 5], y: [0, 5, 7, 1, 7], z: [0, 7, 1, 4, 7],
  '.': [0, 0, 0, 0, 2], '-': [0, 0, 7, 0, 0], '+': [0, 2, 7, 2, 0], '#': [5, 7, 5, 7, 5], ':': [0, 2, 0, 2, 0],
  '=': [0, 7, 0, 7, 0], '/': [1, 1, 2, 4, 4], ' ': [0, 0, 0, 0, 0],
};

export const GLYPH_WIDTH = 4; // 3 pixels and a space
export const GLYPH_HEIGHT = 5;

/** Calls `set(x, y)` for every lit pixel of `text` drawn at (x0, y0), scaled by `scale`. */
export function drawText(text: string, x0: number, y0: number, scale: number, set: (x: number, y: number) => void): void {
  [...text.toLowerCase()].forEach((ch, k) => {
    const g = GLYPHS[ch] ?? GLYPHS['#'];
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let c = 0; c < 3; c++) {
        if (!((g[r] >> (2 - c)) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) set(x0 + (k * GLYPH_WIDTH + c) * scale + dx, y0 + r * scale + dy);
      }
    }
  });
}

/**
 * .npy files in and out, and the `gridscore` CLI on them: round trips are exact, Fortran order is
 * read correctly, and bad files get a one-line error naming the file and the problem (exit 2).
 * The CLI tests run the installed command (bin/gridscore.js, which loads the build; npm test builds first).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { encodeNpy, parseNpy, gridScores, mapsFromArray } from '@gridcells/gridscore';
import { FIXTURES, readScores, num } from './validation.js';

const CLI = fileURLToPath(new URL('../bin/gridscore.js', import.meta.url));
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridscore-'));
});

/** A .npy with a hand-written header (for Fortran order and broken files). */
function npyBytes(header: string, body: Uint8Array): Uint8Array {
  let h = header;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + h.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(new TextEncoder().encode(h), 10);
  out.set(body, 10 + h.length);
  return out;
}

function run(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

describe('.npy', () => {
  it('encode then parse gives back the same values and shape (float32 and float64)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.nat(), (shape, f64, seed) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const vals = Array.from({ length: n }, (_, i) => Math.sin(seed + i * 1.7) * 100);
      const data = f64 ? Float64Array.from(vals) : Float32Array.from(vals);
      const back = parseNpy(encodeNpy(data, shape));
      expect(back.shape).toEqual(shape);
      expect(back.dtype).toBe(f64 ? 'float64' : 'float32');
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }));
  });
  it('reads Fortran-ordered arrays into C order', () => {
    // a 2 x 3 array [[0, 1, 2], [3, 4, 5]] stored column by column
    const body = new Uint8Array(Float64Array.from([0, 3, 1, 4, 2, 5]).buffer);
    const a = parseNpy(npyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", body));
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('gridscore CLI', () => {
  it('prints the documented CSV, and its scores equal the library\'s and the reference', () => {
    const r = run([join(FIXTURES, 'maps_n32.npy'), '--unvisited', 'zero']);
    expect(r.status).toBe(0);
    const [head, ...lines] = r.stdout.trim().split('\n');
    expect(head).toBe('index,score60,score90,score60_minmax,spacing,orientation,ring_peaks,lattice,border,band,tests,class');
    const refs = readScores().filter((x) => x.file === 'maps_n32.npy');
    expect(lines).toHaveLength(refs.length);
    for (const ref of refs) {
      const cells = lines[Number(ref.index)].split(',');
      if (ref.family === 'degenerate') continue; // constant: NaN with a warning (below)
      expect(Math.abs(Number(cells[1]) - num(ref.dm_score60_mean))).toBeLessThan(1e-8);
      expect(Math.abs(Number(cells[2]) - num(ref.dm_score90_mean))).toBeLessThan(1e-8);
      expect(['grid', 'border', 'band', 'irregular']).toContain(cells[11]);
    }
    expect(r.stderr).toMatch(/warning: .*maps_n32.npy map 20: constant map: scores are undefined/);
  });
  it('--format json, --mode minmax, --png and --sac-png write PNGs with one labelled tile per map', () => {
    const png = join(dir, 'mosaic.png');
    const sacPng = join(dir, 'sac.png');
    const r = run([join(FIXTURES, 'maps_n20.npy'), '--format', 'json', '--mode', 'minmax', '--png', png, '--sac-png', sacPng, '--smooth', '0.5']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows).toHaveLength(14);
    expect(rows[0]).toHaveProperty('class');
    const img = PNG.sync.read(readFileSync(png));
    expect(img.width).toBeGreaterThan(10 * 100);
    expect(img.height).toBeGreaterThan(2 * 100);
    // autocorrelograms are (2n - 1) x (2n - 1): 39 bins drawn at round(100 / 39) = 3 pixels each
    const sac = PNG.sync.read(readFileSync(sacPng));
    expect(sac.width).toBe(10 * (39 * 3 + 6) + 6);
  });
  it('reads a single (H, W) map and float32 data', () => {
    const file = join(dir, 'one.npy');
    const src = mapsFromArray(parseNpy(readFileSync(join(FIXTURES, 'maps_n20.npy'))).data, [14, 20, 20])[0];
    writeFileSync(file, encodeNpy(Float32Array.from(src.data), [20, 20]));
    const r = run([file]);
    expect(r.status).toBe(0);
    const cells = r.stdout.trim().split('\n')[1].split(',');
    const want = gridScores({ data: Float64Array.from(Float32Array.from(src.data)), height: 20, width: 20 }).score60;
    expect(Math.abs(Number(cells[1]) - want)).toBeLessThan(1e-8);
  });

  const bad: [string, () => Uint8Array, RegExp][] = [
    ['not float (bool)', () => npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(4)), /dtype '\|b1' is not a number type/],
    ['not float (strings)', () => npyBytes("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(24)), /dtype '<U3' is not a number type/],
    ['wrong number of dimensions', () => encodeNpy(new Float64Array(8), [2, 2, 2, 1]), /expected shape \(units, H, W\) or \(H, W\), got \(2, 2, 2, 1\) with 4 dimensions/],
    ['truncated', () => encodeNpy(new Float64Array(400), [1, 20, 20]).slice(0, 1000), /truncated data: the header promises 400 values \(3200 bytes\)/],
    ['not an npy file', () => new TextEncoder().encode('index,score\n1,2\n'), /not a .npy file/],
  ];
  it.each(bad)('%s: one-line error naming the file, exit 2', (_, make, msg) => {
    const file = join(dir, 'bad.npy');
    writeFileSync(file, make());
    const r = run([file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toMatch(msg);
  });
  it('a missing file and a bad option get one-line errors', () => {
    const missing = run([join(dir, 'nope.npy')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope.npy: cannot read file \(ENOENT\)/);
    const opt = run([join(FIXTURES, 'maps_n20.npy'), '--mode', 'hexagonal']);
    expect(opt.status).toBe(2);
    expect(opt.stderr).toMatch(/--mode must be deepmind or minmax, got 'hexagonal'/);
  });
  it('an all-NaN map and a constant map give NaN scores with a warning, not a crash', () => {
    const file = join(dir, 'flat.npy');
    const data = new Float64Array(2 * 20 * 20);
    data.fill(NaN, 0, 400);
    data.fill(2.5, 400);
    writeFileSync(file, encodeNpy(data, [2, 20, 20]));
    const r = run([file]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').slice(1);
    expect(lines).toEqual(['0,nan,nan,nan,nan,nan,0,none,nan,nan,none,irregular', '1,nan,nan,nan,nan,nan,0,none,nan,nan,none,irregular']);
    expect(r.stderr).toMatch(/map 0: no visited bin/);
    expect(r.stderr).toMatch(/map 1: constant map/);
    expect(existsSync(file)).toBe(true);
  });
});

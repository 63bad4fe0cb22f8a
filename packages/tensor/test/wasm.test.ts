/**
 * The WebAssembly SIMD kernels match the reference kernels on random shapes, including sizes that
 * are not multiples of the 4 x 8 register block, to a relative error of 1e-5 in float32; and the
 * committed module is the one its .wat source assembles to.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng, WasmBackend, normal, referenceBackend } from '@gridcells/tensor';

const wasm = WasmBackend.create();

function relErr(x: Float32Array, ref: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    num = Math.max(num, Math.abs(x[i] - ref[i]));
    den = Math.max(den, Math.abs(ref[i]));
  }
  return num / Math.max(den, 1e-30);
}

const dims = fc.integer({ min: 1, max: 70 });

describe('WasmBackend', () => {
  it('is available on this engine (Node 20 has WebAssembly SIMD)', () => {
    expect(wasm?.name).toBe('wasm-simd');
  });

  it('matmul matches the reference (batched, broadcast, ragged sizes)', () => {
    fc.assert(fc.property(dims, dims, dims, fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.nat(), (m, k, n, batch, shareB, seed) => {
      const rng = new Rng(seed);
      const a = normal(rng, [batch * m * k]).data as Float32Array;
      const b = normal(rng, [(shareB ? 1 : batch) * k * n]).data as Float32Array;
      const want = new Float32Array(batch * m * n);
      const got = new Float32Array(batch * m * n);
      referenceBackend.matmul(a, b, want, batch, m, k, n, m * k, shareB ? 0 : k * n);
      wasm!.matmul(a, b, got, batch, m, k, n, m * k, shareB ? 0 : k * n);
      expect(relErr(got, want)).toBeLessThan(1e-5);
    }), { numRuns: 60 });
  });

  it('matmulTransA accumulates A^T B like the reference', () => {
    fc.assert(fc.property(dims, dims, dims, fc.nat(), (m, k, n, seed) => {
      const rng = new Rng(seed);
      const a = normal(rng, [k * m]).data as Float32Array;
      const b = normal(rng, [k * n]).data as Float32Array;
      const start = normal(rng, [m * n]).data as Float32Array;
      const want = start.slice();
      const got = start.slice();
      referenceBackend.matmulTransA(a, b, want, m, k, n);
      wasm!.matmulTransA(a, b, got, m, k, n);
      expect(relErr(got, want)).toBeLessThan(1e-5);
    }), { numRuns: 60 });
  });

  it('rounds exactly as a float32 dot product summed over p in order (matmul), added to the output afterwards (matmulTransA): the bits seeded runs depend on', () => {
    const f = Math.fround;
    fc.assert(fc.property(dims, fc.integer({ min: 1, max: 20 }), dims, fc.nat(), (m, k, n, seed) => {
      const rng = new Rng(seed);
      const a = normal(rng, [m * k]).data as Float32Array;
      const b = normal(rng, [k * n]).data as Float32Array;
      const start = normal(rng, [m * n]).data as Float32Array;
      const dot = (i: number, j: number, at: (p: number) => number) => {
        let s = 0;
        for (let p = 0; p < k; p++) s = f(s + f(at(p) * b[p * n + j]));
        return s;
      };
      const want = new Float32Array(m * n);
      const wantT = new Float32Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          want[i * n + j] = dot(i, j, (p) => a[i * k + p]);
          wantT[i * n + j] = f(start[i * n + j] + dot(i, j, (p) => a[p * m + i]));
        }
      }
      const got = new Float32Array(m * n);
      wasm!.matmul(a, b, got, 1, m, k, n, 0, 0);
      const gotT = start.slice();
      wasm!.matmulTransA(a, b, gotT, m, k, n);
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(Array.from(gotT)).toEqual(Array.from(wantT));
    }), { numRuns: 60 });
  });

  it('matmulTransA over many rows (its operands packed into panels, a row block at a time) still rounds exactly as a float32 dot product summed over p in order, then added to the output; in place on workspace views too', () => {
    const f = Math.fround;
    const mult = (of: number, max: number) => fc.integer({ min: 1, max }).map((x) => of * x);
    fc.assert(fc.property(mult(4, 5), fc.integer({ min: 256, max: 700 }), mult(8, 3), fc.boolean(), fc.nat(), (m, k, n, inPlace, seed) => {
      const rng = new Rng(seed);
      const a = normal(rng, [k * m]).data as Float32Array;
      const b = normal(rng, [k * n]).data as Float32Array;
      const start = normal(rng, [m * n]).data as Float32Array;
      const want = new Float32Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s = f(s + f(a[p * m + i] * b[p * n + j]));
          want[i * n + j] = f(start[i * n + j] + s);
        }
      }
      let got = start.slice();
      if (inPlace) {
        const ws = wasm!.workspace(k * m + k * n + m * n);
        ws.set(a);
        ws.set(b, k * m);
        ws.set(start, k * (m + n));
        wasm!.matmulTransA(ws.subarray(0, k * m), ws.subarray(k * m, k * (m + n)), ws.subarray(k * (m + n)), m, k, n);
        got = ws.slice(k * (m + n));
      } else {
        wasm!.matmulTransA(a, b, got, m, k, n);
      }
      expect(Array.from(got)).toEqual(Array.from(want));
    }), { numRuns: 30 });
  });

  it('works in place on workspace views and on large inner dimensions', () => {
    const [m, k, n] = [33, 4000, 21];
    const ws = wasm!.workspace(m * k + k * n + m * n);
    const rng = new Rng(4);
    ws.set(normal(rng, [m * k + k * n]).data);
    const a = ws.subarray(0, m * k);
    const b = ws.subarray(m * k, m * k + k * n);
    const out = ws.subarray(m * k + k * n);
    const want = new Float32Array(m * n);
    referenceBackend.matmul(a.slice(), b.slice(), want, 1, m, k, n, 0, 0);
    wasm!.matmul(a, b, out, 1, m, k, n, 0, 0);
    expect(relErr(out, want)).toBeLessThan(1e-5);
  });

  it('falls back to the reference for float64', () => {
    const rng = new Rng(5);
    const a = normal(rng, [12], 0, 1, 'float64').data;
    const b = normal(rng, [12], 0, 1, 'float64').data;
    const want = new Float64Array(9);
    const got = new Float64Array(9);
    referenceBackend.matmul(a, b, want, 1, 3, 4, 3, 0, 0);
    wasm!.matmul(a, b, got, 1, 3, 4, 3, 0, 0);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('every committed .wasm.ts (sgemm and the ziggurat here, the loops of both networks in navrnn) is what its .wat assembles to', () => {
    const script = fileURLToPath(new URL('../../../scripts/build-wasm.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

import type { Data } from './tensor.js';

/**
 * The backend seam. The hot kernels sit behind this interface; the plain TypeScript
 * implementation below is the reference (the oracle every other backend is tested against).
 * A faster backend (gpu.js, WebAssembly SIMD) registers itself with `setBackend` and must give
 * the same results within float32 tolerance.
 */
export interface Backend {
  readonly name: string;
  /**
   * Batched matrix product into `out`: for each b < batch, out[b] (m x n) = A[b] (m x k) . B[b] (k x n).
   * All buffers are row-major and contiguous; aStride/bStride are the element offsets between
   * batch entries (0 broadcasts one matrix over the batch).
   */
  matmul(
    a: Data, b: Data, out: Data,
    batch: number, m: number, k: number, n: number,
    aStride: number, bStride: number,
  ): void;
}

/** Reference matmul: i-k-j loop order so the inner loop streams rows of B and out. */
export const referenceBackend: Backend = {
  name: 'reference',
  matmul(a, b, out, batch, m, k, n, aStride, bStride) {
    for (let t = 0; t < batch; t++) {
      const ao = t * aStride;
      const bo = t * bStride;
      const oo = t * m * n;
      for (let i = 0; i < m; i++) {
        const orow = oo + i * n;
        for (let j = 0; j < n; j++) out[orow + j] = 0;
        for (let p = 0; p < k; p++) {
          const aip = a[ao + i * k + p];
          const brow = bo + p * n;
          for (let j = 0; j < n; j++) out[orow + j] += aip * b[brow + j];
        }
      }
    }
  },
};

let current: Backend = referenceBackend;

export function setBackend(backend: Backend): void {
  current = backend;
}

export function getBackend(): Backend {
  return current;
}

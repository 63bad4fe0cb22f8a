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
  /**
   * Accumulating product with the first operand transposed: out (m x n) += A^T B, where A is
   * stored k x m and B is k x n. This is a weight gradient sum_p a_p^T b_p, taken without a copy.
   */
  matmulTransA(a: Data, b: Data, out: Data, m: number, k: number, n: number): void;
  /**
   * Optional: n floats of backend-owned memory that `matmul` and `matmulTransA` use in place
   * (no copies). Views stay valid until the next `workspace` call.
   */
  workspace?(n: number): Float32Array;
  /**
   * Optional: the WebAssembly memory the workspace lies in, for other WebAssembly kernels (the
   * networks' element-wise loops) to import, so they work on the same buffers without copies.
   */
  readonly memory?: WebAssembly.Memory;
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
  matmulTransA(a, b, out, m, k, n) {
    for (let p = 0; p < k; p++) {
      for (let i = 0; i < m; i++) {
        const api = a[p * m + i];
        const orow = i * n;
        const brow = p * n;
        for (let j = 0; j < n; j++) out[orow + j] += api * b[brow + j];
      }
    }
  },
};

let current: Backend = referenceBackend;

/** Makes `backend` the kernels every tensor op uses from now on (default: the TypeScript reference). */
export function setBackend(backend: Backend): void {
  current = backend;
}

/** The kernels tensor ops use now. */
export function getBackend(): Backend {
  return current;
}

import type { GPU } from 'gpu.js';

/**
 * A matrix-product kernel in gpu.js: out[r][c] = sum_k a[r][k] b[k][c]. gpu.js gives one output
 * per thread and no workgroup memory, so this is a plain dot per output (its k loop unrolled by
 * four); the register-blocked CPU kernel is the WebAssembly one (tensor/src/wasm/sgemm.wat).
 */
export function gpujsMatmul(gpu: GPU, m: number, k: number, n: number): (a: unknown, b: unknown) => unknown {
  return gpu.createKernel(function (this: any, a: any, b: any) {
    const r = this.thread.y;
    const c = this.thread.x;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let q = 0; q < this.constants.K4; q += 4) {
      s0 += a[r][q] * b[q][c];
      s1 += a[r][q + 1] * b[q + 1][c];
      s2 += a[r][q + 2] * b[q + 2][c];
      s3 += a[r][q + 3] * b[q + 3][c];
    }
    // the k mod 4 leftover terms (integer loop bounds: WGSL only increments integers)
    for (let i = 0; i < this.constants.R; i++) s0 += a[r][this.constants.K4 + i] * b[this.constants.K4 + i][c];
    return s0 + s1 + s2 + s3;
  } as never, { output: [n, m], constants: { K4: k - (k % 4), R: k % 4 }, tactic: 'precision' } as never) as never;
}

/**
 * Working memory for the fused BPTTs: one block carved into named buffers, allocated in the
 * kernels' own memory when they have some (WebAssembly), so the matrix products read and write it
 * without a copy per step.
 */
import type { Backend, Data } from '@gridcells/tensor';

/**
 * Named buffers of the given sizes (in elements) carved from one block: float64 arrays when
 * `float64` (the reference path of the tests), else float32 in the kernels' workspace.
 *
 * @example const { H, Y } = namedBuffers(kernels, false, { H: T * B * N, Y: T * B * 2 });
 */
export function namedBuffers<K extends string>(kernels: Backend, float64: boolean, sizes: Record<K, number>): Record<K, Data> {
  const total = Object.values<number>(sizes).reduce((a, b) => a + b, 0);
  const block: Data = !float64 && kernels.workspace ? kernels.workspace(total) : float64 ? new Float64Array(total) : new Float32Array(total);
  const out = {} as Record<K, Data>;
  let at = 0;
  for (const k of Object.keys(sizes) as K[]) {
    out[k] = block.subarray(at, at + sizes[k]);
    at += sizes[k];
  }
  return out;
}

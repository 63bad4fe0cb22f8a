/**
 * A run's backend: which kernels compute its loss and gradient. The config names one of BACKENDS;
 * 'auto' resolves to the fastest that answers here. Below that, the tensor-level kernels (matrix
 * products) that go with it.
 */
import { WasmBackend, referenceBackend, type Backend } from '@gridcells/tensor';
import { describeWebGpu, probeWebGpuQuietly } from './webgpu.js';

/**
 * - 'wasm': the fused BPTT with WebAssembly SIMD matrix products (fastest CPU path);
 * - 'js': the same fused BPTT with the plain TypeScript reference kernels;
 * - 'autograd': the autograd tape through every step (the oracle; slow);
 * - 'webgpu', 'gpujs-webasm', 'gpujs-cpu': the BPTT as gpu.js kernels in one pipeline plan, on
 *   gpu.js's webgpu (a GPU through Dawn), webasm or cpu backend;
 * - 'auto': 'webgpu' when a hardware GPU adapter answers (and the network has gpu.js kernels),
 *   else 'wasm' where WebAssembly SIMD is available, else 'js'. The choice is always reported.
 */
export const BACKENDS = ['auto', 'wasm', 'js', 'autograd', 'webgpu', 'gpujs-webasm', 'gpujs-cpu'] as const;

/** A backend as a config names it. */
export type BackendChoice = (typeof BACKENDS)[number];

/** A backend after 'auto' is resolved. */
export type ResolvedBackend = Exclude<BackendChoice, 'auto'>;

/** gpu.js's backend: `webgpu` (a GPU through WebGPU), `webasm` (WebAssembly) or `cpu` (JavaScript). */
export type GpuJsMode = 'webgpu' | 'webasm' | 'cpu';

/** The backends that run gpu.js kernels, and gpu.js's mode for each. */
export const GPUJS_MODE: Partial<Record<ResolvedBackend, GpuJsMode>> = { webgpu: 'webgpu', 'gpujs-webasm': 'webasm', 'gpujs-cpu': 'cpu' };

/** A backend that was asked for cannot run here (no WebAssembly SIMD, no WebGPU adapter). */
export class BackendError extends Error {
  override name = 'BackendError';
}

let wasm: WasmBackend | null | undefined;

/** The WebAssembly SIMD kernels, or null where this engine has no WebAssembly SIMD. */
export function wasmKernels(): WasmBackend | null {
  if (wasm === undefined) wasm = WasmBackend.create();
  return wasm;
}

/**
 * The backend a run uses. 'auto' picks webgpu when `gpuKernels` (the network has them) and a
 * hardware GPU adapter answers (a software adapter such as lavapipe is correct but slower than the
 * CPU paths), else WebAssembly SIMD when this engine has it, else plain TypeScript.
 */
export async function resolveBackend(requested: BackendChoice, opts: { gpuKernels: boolean }): Promise<ResolvedBackend> {
  if (requested === 'wasm' && !wasmKernels()) throw new BackendError('backend wasm: this JavaScript engine has no WebAssembly SIMD; use --backend js');
  if (requested === 'webgpu' && !(await describeWebGpu()).available) {
    throw new BackendError('backend webgpu: no WebGPU adapter answered (on a CPU-only Linux machine, install a software Vulkan driver: .ci/enable-webgpu-cpu.sh)');
  }
  if (requested !== 'auto') return requested;
  if (opts.gpuKernels) {
    const gpu = await probeWebGpuQuietly();
    if (gpu.available && !gpu.software) return 'webgpu';
  }
  return wasmKernels() ? 'wasm' : 'js';
}

/**
 * The CPU backend a trained network is run on for evaluation and analysis: the run's own choice
 * between the fast and the reference kernels, never a GPU, so a run trained on a GPU machine is
 * evaluated and analysed on any machine.
 */
export function cpuBackend(requested: BackendChoice): 'wasm' | 'js' {
  return requested === 'js' || requested === 'autograd' || !wasmKernels() ? 'js' : 'wasm';
}

/**
 * The tensor-level kernels (matrix products) that go with a backend: WebAssembly SIMD wherever it
 * exists, unless plain TypeScript was asked for.
 */
export function tensorKernels(backend: ResolvedBackend): Backend {
  return cpuBackend(backend) === 'js' ? referenceBackend : wasmKernels()!;
}

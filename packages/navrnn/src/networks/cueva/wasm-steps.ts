/**
 * The fused BPTT's element-wise loops (forward, reverse and tangent passes) in WebAssembly
 * (steps.wat), instantiated on the memory of the tensor package's WebAssembly kernels so they
 * read and write the same working set as the matrix products. They give the TypeScript loops'
 * results bit for bit (tests check it) in about a third of their time.
 */
import { wasmOnMemory, type Backend } from '@gridcells/tensor';
import { stepsWasm } from './steps.wasm.js';

/** The kernels' exports (byte offsets into the shared memory; see steps.wat). */
export interface WasmSteps {
  forward_step(
    pre: number, bias: number, win: number, inp: number, noise: number, hasNoise: number,
    x: number, u: number, wout: number, y: number, B: number, N: number, a: number, kind: number, sr: number,
  ): number;
  backward_step(
    u: number, du: number, hasDU: number, rec: number, dy: number, inp: number,
    wout: number, dx: number, g: number, gb: number, gwin: number, gwout: number,
    B: number, N: number, a: number, uScale: number, kind: number,
  ): void;
  tangent_step(
    t1: number, t2: number, db: number, dwin: number, inp: number, dx: number,
    u: number, du: number, wout: number, dwout: number, dy: number, B: number, N: number, a: number, kind: number,
  ): void;
}

const stepsOn = wasmOnMemory<WasmSteps>(stepsWasm);

/** The loops on `backend`'s memory, or null where it has none (the reference kernels) or no SIMD. */
export function wasmSteps(backend: Backend): WasmSteps | null {
  return backend.memory ? stepsOn(backend.memory) : null;
}

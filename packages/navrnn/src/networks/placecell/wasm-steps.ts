/**
 * The PlaceCellRNN's element-wise loops in WebAssembly (steps.wat): the place cells' codes of many
 * positions, on a memory of their own, and the fused BPTT's loops (the ReLU steps forward and back,
 * the softmax, cross-entropy and logit gradient, the input weights' gradient), on the memory of
 * the tensor package's WebAssembly kernels, where the working set lies. They give the TypeScript
 * loops' results bit for bit (tests check it).
 */
import { growMemory, wasmOnMemory } from '@gridcells/tensor';
import { stepsWasm } from './steps.wasm.js';

/** The module's exports (byte offsets into its memory; see steps.wat). */
export interface PlaceCellSteps {
  /** Math.exp's value, computed as V8 computes it (fdlibm). */
  exp(x: number): number;
  /** Math.exp of a and b, two at a time, written as two f64 at `out`. */
  exp2(a: number, b: number, out: number): void;
  codes(centres: number, P: number, positions: number, count: number, out: number, a1: number, a2: number, scratch: number): void;
  softmax_xent(Y: number, targets: number, rows: number, P: number, norm: number, ce: number): number;
  relu_inputs(drive: number, inputs: number, wIn: number, h: number, B: number, G: number, nIn: number): void;
  relu_back(dh: number, back: number, hasBack: number, h: number, dpre: number, n: number): void;
  input_grad(inputs: number, dpre: number, gIn: number, rows: number, G: number, nIn: number): void;
}

const stepsOn = wasmOnMemory<PlaceCellSteps>(stepsWasm, { log: Math.log });

/** The loops on `memory`, or null where there is none or this engine cannot compile them. */
export function placeCellSteps(memory: WebAssembly.Memory | undefined): PlaceCellSteps | null {
  return memory ? stepsOn(memory) : null;
}

/** The codes' own memory (one per thread: module state is per thread). */
let codeMemory: WebAssembly.Memory | null = null;

/** Positions coded at a time: the codes' memory stays small however many positions a caller has. */
const CODE_BLOCK = 4096;

/**
 * The codes of `count` positions (x, y pairs in `xy`) by cells with `centres`, written as rows
 * `at`, `at` + 1, ... of `out`: what PlaceCells.codeInto writes for each, with its widths a1 and
 * a2. False where WebAssembly cannot run them (nothing written).
 */
export function wasmCodes(centres: Float64Array, xy: ArrayLike<number>, count: number, out: Float32Array, at: number, a1: number, a2: number): boolean {
  const P = centres.length / 2;
  const block = Math.min(count, CODE_BLOCK);
  // byte offsets: centres, scratch (3 P f64), a block's positions, its codes (f32 rows)
  const cen = 0;
  const scratch = cen + P * 16;
  const pos = scratch + P * 24;
  const rows = pos + block * 16;
  const total = rows + block * P * 4;
  codeMemory ??= new WebAssembly.Memory({ initial: 1 });
  growMemory(codeMemory, total);
  const steps = placeCellSteps(codeMemory);
  if (!steps) return false;
  const f64 = new Float64Array(codeMemory.buffer);
  f64.set(centres, cen / 8);
  for (let from = 0; from < count; from += block) {
    const n = Math.min(block, count - from);
    for (let k = 0; k < 2 * n; k++) f64[pos / 8 + k] = xy[2 * from + k];
    steps.codes(cen, P, pos, n, rows, a1, a2, scratch);
    out.set(new Float32Array(codeMemory.buffer, rows, n * P), (at + from) * P);
  }
  return true;
}

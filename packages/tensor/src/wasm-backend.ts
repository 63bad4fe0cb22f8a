/**
 * A CPU backend on WebAssembly SIMD (f32x4): the matrix product with register blocking
 * (wasm/sgemm.wat). float64 products fall back to the reference kernel.
 *
 * Buffers are exchanged through the module's linear memory. Arrays that already live there (views
 * from `workspace()`) are used in place; others are copied in and out. `workspace(n)` hands out
 * one region of n floats at the start of memory for a caller that wants to keep its working set
 * there (the fused BPTT does), and keeps PACK_SCRATCH floats free after it; the views stay valid
 * until memory next grows, which only a `workspace` call or a matmul on arrays outside memory can
 * cause.
 */
import type { Backend } from './backend.js';
import { referenceBackend } from './backend.js';
import type { Data } from './tensor.js';
import { sgemmWasm } from './wasm/sgemm.wasm.js';
import { compileWasm, growMemory } from './wasm-module.js';

type Kernel = (a: number, b: number, c: number, m: number, k: number, n: number) => void;
type PackedKernel = (a: number, b: number, c: number, m: number, k: number, n: number, scratch: number, rows: number) => void;

/**
 * The weight-gradient product A^T B packs its operands' columns into panels (sgemm_tn_acc_packed)
 * when it sums over at least this many rows; below, the packing costs more than it saves.
 */
const PACK_MIN_ROWS = 256;
/** Rows the packed product takes at a time. */
const PACK_ROWS = 48;
/** Floats kept free after the workspace for the packed product: a 256 x 256 output's sums and panels. */
const PACK_SCRATCH = 256 * 256 + 512 * PACK_ROWS;

/** Floats of scratch the packed product needs for an m x n output, or 0 where it does not apply. */
function packedScratch(m: number, k: number, n: number): number {
  return k >= PACK_MIN_ROWS && m % 4 === 0 && n % 8 === 0 ? m * n + (m + n) * PACK_ROWS : 0;
}

/**
 * Matrix products in WebAssembly SIMD (4 x 8 register blocks of f32x4), with a workspace in the
 * module's own memory so callers can keep working buffers there and avoid copies.
 *
 * @example const wasm = WasmBackend.create(); if (wasm) setBackend(wasm);
 */
export class WasmBackend implements Backend {
  readonly name = 'wasm-simd';
  /** The module's linear memory: the workspace and the products' operands lie here. */
  readonly memory: WebAssembly.Memory;
  private readonly sgemm: Kernel;
  private readonly sgemmTnAcc: Kernel;
  private readonly sgemmTnAccPacked: PackedKernel;
  /** Floats reserved by `workspace` at the start of memory. */
  private reserved = 0;

  private constructor(instance: WebAssembly.Instance) {
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.sgemm = instance.exports.sgemm as Kernel;
    this.sgemmTnAcc = instance.exports.sgemm_tn_acc as Kernel;
    this.sgemmTnAccPacked = instance.exports.sgemm_tn_acc_packed as PackedKernel;
  }

  /** The backend, or null where this JavaScript engine has no WebAssembly SIMD. */
  static create(): WasmBackend | null {
    const module = compileWasm(sgemmWasm);
    if (!module) return null;
    try {
      return new WasmBackend(new WebAssembly.Instance(module));
    } catch {
      return null;
    }
  }

  private ensure(bytes: number): void {
    growMemory(this.memory, bytes);
  }

  /** n floats at the start of linear memory (zero-filled), for a caller's working set. */
  workspace(n: number): Float32Array {
    this.ensure((n + PACK_SCRATCH) * 4);
    this.reserved = n;
    const view = new Float32Array(this.memory.buffer, 0, n);
    view.fill(0);
    return view;
  }

  private inMemory(x: Data): boolean {
    return x instanceof Float32Array && x.buffer === this.memory.buffer;
  }

  /**
   * Places each array in linear memory (in place when it is already there, else copied into
   * scratch space after the workspace), runs `body` with their byte offsets, and copies `out`
   * back when it was not in memory.
   */
  private run(arrays: [Float32Array, number][], out: Float32Array, outLen: number, copyOutIn: boolean, body: (ptrs: number[], free: number) => void, extra = 0): void {
    let scratch = this.reserved * 4;
    const all: [Float32Array, number][] = [...arrays, [out, outLen]];
    const ptrs = all.map(([x, len]) => {
      if (this.inMemory(x)) return x.byteOffset;
      const at = scratch;
      scratch += len * 4;
      return at;
    });
    this.ensure(scratch + extra * 4);
    const heap = new Float32Array(this.memory.buffer);
    all.forEach(([x, len], i) => {
      const isOut = i === all.length - 1;
      if (!this.inMemory(x) && (!isOut || copyOutIn)) heap.set(x.subarray(0, len), ptrs[i] / 4);
    });
    body(ptrs, scratch);
    if (!this.inMemory(out)) out.set(heap.subarray(ptrs[all.length - 1] / 4, ptrs[all.length - 1] / 4 + outLen));
  }

  matmul(a: Data, b: Data, out: Data, batch: number, m: number, k: number, n: number, aStride: number, bStride: number): void {
    if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) {
      referenceBackend.matmul(a, b, out, batch, m, k, n, aStride, bStride);
      return;
    }
    if (batch === 1 && this.inMemory(a) && this.inMemory(b) && this.inMemory(out)) {
      // the fused BPTT's case, thousands of times a step: straight to the kernel
      this.sgemm(a.byteOffset, b.byteOffset, out.byteOffset, m, k, n);
      return;
    }
    const aLen = aStride ? batch * aStride : m * k;
    const bLen = bStride ? batch * bStride : k * n;
    this.run([[a, aLen], [b, bLen]], out, batch * m * n, false, ([pa, pb, pc]) => {
      for (let t = 0; t < batch; t++) this.sgemm(pa + t * aStride * 4, pb + t * bStride * 4, pc + t * m * n * 4, m, k, n);
    });
  }

  matmulTransA(a: Data, b: Data, out: Data, m: number, k: number, n: number): void {
    if (!(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) {
      referenceBackend.matmulTransA(a, b, out, m, k, n);
      return;
    }
    if (this.inMemory(a) && this.inMemory(b) && this.inMemory(out)) {
      // scratch for packing goes after the workspace and the operands, only where memory has room
      // (growing it here would invalidate the caller's views)
      const free = Math.max(this.reserved * 4, ...[a, b, out].map((x) => x.byteOffset + x.byteLength));
      this.tnAcc(a.byteOffset, b.byteOffset, out.byteOffset, m, k, n, free);
      return;
    }
    this.run([[a, k * m], [b, k * n]], out, m * n, true, ([pa, pb, pc], free) => this.tnAcc(pa, pb, pc, m, k, n, free), packedScratch(m, k, n));
  }

  /** C += A^T B at byte offsets, packed where the shape allows and memory after `free` holds the scratch. */
  private tnAcc(pa: number, pb: number, pc: number, m: number, k: number, n: number, free: number): void {
    const need = packedScratch(m, k, n);
    const at = Math.ceil(free / 16) * 16;
    if (need > 0 && at + need * 4 <= this.memory.buffer.byteLength) this.sgemmTnAccPacked(pa, pb, pc, m, k, n, at, PACK_ROWS);
    else this.sgemmTnAcc(pa, pb, pc, m, k, n);
  }
}

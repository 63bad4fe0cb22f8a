/**
 * The committed WebAssembly modules (base64 in wasm/*.wasm.ts, as scripts/build-wasm.mjs writes
 * them) compiled, for every package that carries one.
 */

/** The module, or null where this engine cannot compile it (no WebAssembly, or no SIMD). */
export function compileWasm(base64: string): WebAssembly.Module | null {
  try {
    return new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/**
 * A committed module's exports on a given memory (imported as env.memory, beside `imports`):
 * compiled on first use, one instance per memory, so loops instantiated on a kernel's memory work
 * on its buffers in place. The function answers null where this engine cannot compile the module.
 *
 * @example const stepsOn = wasmOnMemory<Steps>(stepsWasm); const steps = stepsOn(backend.memory);
 */
export function wasmOnMemory<E>(base64: string, imports: Record<string, unknown> = {}): (memory: WebAssembly.Memory) => E | null {
  let compiled: WebAssembly.Module | null | undefined;
  const byMemory = new WeakMap<WebAssembly.Memory, E>();
  return (memory) => {
    if (compiled === undefined) compiled = compileWasm(base64);
    if (!compiled) return null;
    let exports = byMemory.get(memory);
    if (!exports) {
      exports = new WebAssembly.Instance(compiled, { env: { memory, ...imports } }).exports as unknown as E;
      byMemory.set(memory, exports);
    }
    return exports;
  };
}

/** Grows `memory` (by whole 64 KiB pages) until it holds `bytes`; it never shrinks. */
export function growMemory(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}

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

export { Tensor, allocate, dtypeOf, resultDType, checkFiniteNumber, type DType, type Data, type NestedArray } from './tensor.js';
export { ShapeError, ValueError, checkShape, checkAxis, fmtShape } from './errors.js';
export { sizeOf, stridesOf, sameShape, broadcastShapes, broadcastStrides, offsets } from './shape.js';
export { Rng, type RngState } from './random.js';
export { zeros, ones, full, scalar, tensor, arange, eye, uniform, normal, orthogonal } from './create.js';
export { type Backend, referenceBackend, setBackend, getBackend } from './backend.js';
export * from './ops.js';
export { WasmBackend } from './wasm-backend.js';
export { compileWasm, growMemory, wasmOnMemory } from './wasm-module.js';

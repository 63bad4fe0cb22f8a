import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import { ShapeError, ValueError, checkShape, fmtShape } from './errors.js';
import { offsets, sizeOf, stridesOf } from './shape.js';

/** Element type: float32 (training) or float64 (reference computations in tests). */
export type DType = 'float32' | 'float64';
/** The typed array behind a tensor. */
export type Data = Float32Array | Float64Array;

/** A zeroed typed array of `n` elements of `dtype`. */
export function allocate(dtype: DType, n: number): Data {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** The dtype of a typed array. */
export function dtypeOf(data: Data): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** float64 wins: an op on a float64 tensor (a gradient check, a reference) stays in float64. */
export function resultDType(...ts: Tensor[]): DType {
  return ts.some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
}

/**
 * An n-dimensional array of float32 (default) or float64 over an `ndarray` view.
 *
 * Views (transpose, slice, broadcast reads) share storage; ops read any view and write new
 * contiguous tensors. `data` of a contiguous tensor is its row-major storage, which the inner
 * loops of every op use directly (ndarray's get/set are ~3x slower).
 */
export class Tensor {
  readonly nd: NdArray<Data>;

  constructor(nd: NdArray<Data>) {
    this.nd = nd;
  }

  /** Wraps row-major `data` as a tensor of `shape` (no copy). */
  static fromData(data: Data, shape: readonly number[]): Tensor {
    checkShape(shape as number[], 'tensor');
    if (sizeOf(shape) !== data.length) {
      throw new ShapeError(`tensor: ${data.length} values cannot fill shape ${fmtShape(shape)} (needs ${sizeOf(shape)})`);
    }
    // ndarray treats shape [] as a 0-d view; keep one element of storage for scalars.
    return new Tensor(ndarray(data, [...shape], stridesOf(shape), 0));
  }

  get shape(): number[] {
    return this.nd.shape as number[];
  }
  get rank(): number {
    return this.nd.shape.length;
  }
  get size(): number {
    return sizeOf(this.nd.shape);
  }
  get dtype(): DType {
    return dtypeOf(this.nd.data);
  }
  get strides(): number[] {
    return this.nd.stride as number[];
  }

  /** True when storage is row-major, starts at 0 and has exactly `size` entries. */
  get isContiguous(): boolean {
    if (this.nd.offset !== 0 || this.nd.data.length !== this.size) return false;
    const want = stridesOf(this.shape);
    return this.shape.every((d, i) => d <= 1 || this.nd.stride[i] === want[i]);
  }

  /** Row-major values: the storage itself when contiguous, else a fresh copy. */
  get data(): Data {
    return this.isContiguous ? this.nd.data : this.contiguous().nd.data;
  }

  /** A contiguous copy (or this tensor when already contiguous). */
  contiguous(): Tensor {
    if (this.isContiguous) return this;
    const out = allocate(this.dtype, this.size);
    const { shape } = this;
    const at = offsets(shape, this.nd.stride, this.nd.offset);
    const src = this.nd.data;
    for (let i = 0; i < out.length; i++) out[i] = src[at[i]];
    return Tensor.fromData(out, shape);
  }

  /** A copy with its own storage. */
  clone(): Tensor {
    return Tensor.fromData(this.data.slice(), this.shape);
  }

  astype(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    const out = allocate(dtype, this.size);
    out.set(this.data);
    return Tensor.fromData(out, this.shape);
  }

  /** The single value of a tensor with one element. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor of shape ${fmtShape(this.shape)} has ${this.size} values, not 1`);
    return this.data[0];
  }

  get(...idx: number[]): number {
    if (idx.length !== this.rank) throw new ShapeError(`get: ${idx.length} indices for a tensor of rank ${this.rank}`);
    return this.nd.get(...idx);
  }

  /** Nested arrays (for printing, JSON and tests). */
  toArray(): NestedArray {
    const data = this.data;
    const shape = this.shape;
    if (shape.length === 0) return data[0];
    const build = (dim: number, off: number): NestedArray => {
      const n = shape[dim];
      const step = sizeOf(shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(dim === shape.length - 1 ? data[off + i] : build(dim + 1, off + i * step));
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${fmtShape(this.shape)})`;
  }
}

/** Nested JavaScript arrays of numbers, as `Tensor.from` takes them. */
export type NestedArray = number | NestedArray[];

/** Checks a value is finite-compatible number; used where NaN would silently corrupt a shape or count. */
export function checkFiniteNumber(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new ValueError(`${what} must be a finite number, got ${String(x)}`);
  return x;
}

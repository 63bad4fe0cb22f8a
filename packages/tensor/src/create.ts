import { ShapeError, checkShape, fmtShape } from './errors.js';
import { sizeOf } from './shape.js';
import { Tensor, allocate, type DType, type Data, type NestedArray } from './tensor.js';
import type { Rng } from './random.js';

/** A tensor of the given shape filled with 0. @example zeros([2, 3]) */
export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  checkShape(shape as number[], 'zeros');
  return Tensor.fromData(allocate(dtype, sizeOf(shape)), shape);
}

/** A tensor of the given shape filled with `value`. */
export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  checkShape(shape as number[], 'full');
  const d = allocate(dtype, sizeOf(shape));
  d.fill(value);
  return Tensor.fromData(d, shape);
}

/** A tensor of the given shape filled with 1. */
export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** A 0-dimensional tensor holding `value`. */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return full([], value, dtype);
}

/**
 * A tensor from nested arrays (shape inferred, ragged input refused) or from a flat array or
 * typed array with an explicit shape.
 */
export function tensor(values: NestedArray | ArrayLike<number>, shape?: readonly number[], dtype?: DType): Tensor {
  if (shape !== undefined) {
    checkShape(shape as number[], 'tensor');
    const flat = values as ArrayLike<number>;
    const dt: DType = dtype ?? (flat instanceof Float64Array ? 'float64' : 'float32');
    if (typeof flat !== 'object' || flat.length !== sizeOf(shape)) {
      throw new ShapeError(`tensor: ${(flat as ArrayLike<number>)?.length} values cannot fill shape ${fmtShape(shape)}`);
    }
    const d = allocate(dt, flat.length);
    d.set(flat as ArrayLike<number>);
    return Tensor.fromData(d, shape);
  }
  const inferred: number[] = [];
  let v: NestedArray = values as NestedArray;
  while (Array.isArray(v)) {
    inferred.push(v.length);
    v = v[0];
  }
  const d = allocate(dtype ?? 'float32', sizeOf(inferred));
  let k = 0;
  const fill = (x: NestedArray, dim: number): void => {
    if (dim === inferred.length) {
      if (typeof x !== 'number') throw new ShapeError(`tensor: ragged nested array (expected a number at depth ${dim})`);
      d[k++] = x;
      return;
    }
    if (!Array.isArray(x) || x.length !== inferred[dim]) {
      throw new ShapeError(`tensor: ragged nested array (expected length ${inferred[dim]} at depth ${dim})`);
    }
    for (const y of x) fill(y, dim + 1);
  };
  fill(values as NestedArray, 0);
  return Tensor.fromData(d, inferred);
}

/** Evenly spaced values in [start, stop) with the given step, as numpy.arange (one argument: [0, start)). */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new ShapeError(`arange: step must be a non-zero finite number, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const d = allocate(dtype, n);
  for (let i = 0; i < n; i++) d[i] = start + i * step;
  return Tensor.fromData(d, [n]);
}

/** The n x n identity matrix. */
export function eye(n: number, dtype: DType = 'float32'): Tensor {
  checkShape([n], 'eye');
  const d = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  return Tensor.fromData(d, [n, n]);
}

/** Values drawn uniformly in [low, high) from `rng`. @example uniform(new Rng(0), [3, 3], -1, 1) */
export function uniform(rng: Rng, shape: readonly number[], low = 0, high = 1, dtype: DType = 'float32'): Tensor {
  checkShape(shape as number[], 'uniform');
  const d = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * rng.uniform();
  return Tensor.fromData(d, shape);
}

/** Values drawn from a normal distribution (mean, std) with `rng`. @example normal(new Rng(0), [100, 100], 0, 0.1) */
export function normal(rng: Rng, shape: readonly number[], mean = 0, std = 1, dtype: DType = 'float32'): Tensor {
  checkShape(shape as number[], 'normal');
  const d = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return Tensor.fromData(d, shape);
}

/**
 * A random orthogonal matrix (n x n, scaled by `gain`): QR of a Gaussian matrix by modified
 * Gram-Schmidt in float64, with column signs fixed by R's diagonal so the draw is uniform
 * (Haar) over the orthogonal group, as in Saxe et al. 2014 / PyTorch's `orthogonal_`.
 */
export function orthogonal(rng: Rng, n: number, gain = 1, dtype: DType = 'float32'): Tensor {
  checkShape([n], 'orthogonal');
  const a = new Float64Array(n * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  // Columns of a, orthonormalised in place (column j is a[i*n + j]).
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += a[i * n + j] * a[i * n + k];
      for (let i = 0; i < n; i++) a[i * n + j] -= dot * a[i * n + k];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += a[i * n + j] * a[i * n + j];
    norm = Math.sqrt(norm);
    // Gram-Schmidt's R diagonal is positive by construction, so no sign fix is needed.
    for (let i = 0; i < n; i++) a[i * n + j] /= norm;
  }
  const out: Data = allocate(dtype, n * n);
  for (let i = 0; i < a.length; i++) out[i] = gain * a[i];
  return Tensor.fromData(out, [n, n]);
}
